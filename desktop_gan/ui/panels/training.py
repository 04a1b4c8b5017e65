"""The Training panel: pick a task and data, read the scan, train in a separate process, watch it.

Layout, top to bottom: what to train (task, data folders, scratch or from a model, steps, device,
extra settings) with Scan and the scan report; Start / Pause / Resume / Stop with a progress bar,
steps/s and time left; live loss curves (generator, discriminator, reconstruction) and eval metric
curves; the previews (click to play: ``preview_requested(path)``); once done, the exported model's
record and "Use this model" (copies it into the user's models folder, ``model_ready(path)``).
Unfinished runs found in ``runs_dir`` are offered for resuming.

Training runs in ``TrainingProcess`` (``workers/training_process.py``): the panel only writes control
files and polls the run's log from a timer, so the app and live audio never wait on training.
``on_app_close()`` asks whether to stop the training or keep it running; it returns False to cancel.
"""

from __future__ import annotations

import json
import math
import time
from pathlib import Path

import pyqtgraph as pg
from PySide6.QtCore import SIGNAL, QTimer, Qt, Signal
from PySide6.QtWidgets import (QButtonGroup, QComboBox, QFileDialog, QFormLayout, QGridLayout, QGroupBox,
                               QHBoxLayout, QLabel, QLineEdit, QListWidget, QListWidgetItem, QMessageBox,
                               QPlainTextEdit, QProgressBar, QPushButton, QRadioButton, QSpinBox, QSplitter,
                               QVBoxLayout, QWidget)

from desktop_gan.training.dataset_scan import scan_folder
from desktop_gan.training.registry import MIN_SECONDS, TASKS, data_args, find_models, install_model
from desktop_gan.workers.jobs import JobThread
from desktop_gan.workers.qt_bridge import QtJobs
from desktop_gan.workers.training_process import TrainingProcess, find_runs

COLORS = {"g": "#e0a030", "d": "#40a0e0", "rec": "#60c060"}
MAX_POINTS = 4000


def format_eta(seconds) -> str:
    if seconds is None or not math.isfinite(seconds):
        return "-"
    seconds = int(seconds)
    h, rem = divmod(seconds, 3600)
    m, s = divmod(rem, 60)
    return f"{h}h {m:02d}m" if h else (f"{m}m {s:02d}s" if m else f"{s}s")


def _thin(xs: list, ys: list) -> tuple[list, list]:
    if len(xs) <= MAX_POINTS:
        return xs, ys
    k = math.ceil(len(xs) / MAX_POINTS)
    return xs[::k], ys[::k]


def _parse_settings(text: str) -> dict:
    out = {}
    for part in [p.strip() for p in text.replace(";", ",").split(",") if p.strip()]:
        key, sep, value = part.partition("=")
        if not sep:
            raise ValueError(f"settings are KEY=VALUE, got {part!r}")
        try:
            out[key.strip()] = json.loads(value)
        except json.JSONDecodeError:
            out[key.strip()] = value.strip()
    return out


class TrainingPanel(QWidget):
    preview_requested = Signal(str)
    model_ready = Signal(str)
    state_changed = Signal(str)

    def __init__(self, parent=None, runs_dir=None, tasks: list[str] | None = None, models_dir=None,
                 env: dict | None = None, poll_ms: int = 250) -> None:
        super().__init__(parent)
        from desktop_gan.io.paths import user_data_dir

        self.runs_dir = Path(runs_dir) if runs_dir else user_data_dir() / "runs"
        self.models_dir = Path(models_dir) if models_dir else None
        self.env = env
        self.tp: TrainingProcess | None = None
        self.scan_reports: dict = {}
        self._scan_key = None
        self._jobs: QtJobs | None = None
        self._eval_curves: dict = {}
        self._last_state = ""
        self._build(list(tasks or TASKS))
        self.timer = QTimer(self)
        self.timer.setInterval(poll_ms)
        self.timer.timeout.connect(self.refresh)
        self.refresh_runs()
        self._update_buttons()

    # -- building ------------------------------------------------------------------------------
    def _build(self, tasks: list[str]) -> None:
        # Wide and short (a tab under the views): set-up and controls on the left, curves and
        # previews on the right.
        root = QHBoxLayout(self)
        left = QVBoxLayout()
        setup = QGroupBox("What to train")
        form = QFormLayout(setup)
        self.task_box = QComboBox()
        for name in tasks:
            self.task_box.addItem(name.rpartition(":")[2] if ":" in name else name.capitalize(), name)
        self.task_box.currentIndexChanged.connect(self._task_changed)
        form.addRow("Task", self.task_box)
        self.data_rows = QWidget()
        self.data_layout = QFormLayout(self.data_rows)
        self.data_layout.setContentsMargins(0, 0, 0, 0)
        self.data_edits: dict[str, QLineEdit] = {}
        form.addRow(self.data_rows)
        start_row = QHBoxLayout()
        self.scratch = QRadioButton("From scratch")
        self.finetune = QRadioButton("Fine-tune")
        self.scratch.setChecked(True)
        group = QButtonGroup(self)
        group.addButton(self.scratch)
        group.addButton(self.finetune)
        self.model_box = QComboBox()
        self.model_box.setMinimumWidth(200)
        start_row.addWidget(self.scratch)
        start_row.addWidget(self.finetune)
        start_row.addWidget(self.model_box, 1)
        form.addRow("Start", start_row)
        opts = QGridLayout()
        self.steps = QSpinBox(maximum=10_000_000, minimum=1, value=2000, singleStep=100)
        self.eval_every = QSpinBox(maximum=1_000_000, minimum=0, value=500, singleStep=50)
        self.ckpt_every = QSpinBox(maximum=1_000_000, minimum=1, value=200, singleStep=50)
        self.device = QComboBox()
        self.device.addItems(["auto", "cpu", "cuda"])
        self.average_from = QSpinBox(maximum=10_000_000, minimum=0, value=0, singleStep=100, specialValueText="off")
        self.average_from.setToolTip("Export the generator's weights averaged over the checkpoints from this step "
                                     "to the end (smoother than the last step's), e.g. 1600 of 2400")
        for i, (label, w) in enumerate((("Steps", self.steps), ("Eval every", self.eval_every),
                                        ("Checkpoint every", self.ckpt_every), ("Device", self.device),
                                        ("Average from step", self.average_from))):
            opts.addWidget(QLabel(label), i // 2, 2 * (i % 2))
            opts.addWidget(w, i // 2, 2 * (i % 2) + 1)
        form.addRow(opts)
        self.settings_edit = QLineEdit(placeholderText="extra task settings, e.g. batch=4, lr_g=0.0005")
        form.addRow("Settings", self.settings_edit)
        scan_row = QHBoxLayout()
        self.scan_btn = QPushButton("Scan data")
        self.scan_btn.clicked.connect(self.scan)
        scan_row.addWidget(self.scan_btn)
        scan_row.addStretch(1)
        form.addRow(scan_row)
        self.report = QPlainTextEdit(readOnly=True)
        self.report.setMaximumHeight(110)
        self.report.setPlaceholderText("Scan the data folders to see what will be used.")
        form.addRow(self.report)
        left.addWidget(setup)

        ctl = QGridLayout()
        self.start_btn, self.pause_btn = QPushButton("Start"), QPushButton("Pause")
        self.resume_btn, self.stop_btn = QPushButton("Resume"), QPushButton("Stop")
        self.start_btn.clicked.connect(self.start)
        self.pause_btn.clicked.connect(self.pause)
        self.resume_btn.clicked.connect(self.resume)
        self.stop_btn.clicked.connect(self.stop)
        for i, b in enumerate((self.start_btn, self.pause_btn, self.resume_btn, self.stop_btn)):
            ctl.addWidget(b, 0, i)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        ctl.addWidget(self.progress, 1, 0, 1, 3)
        self.rate_label = QLabel("idle")
        ctl.addWidget(self.rate_label, 1, 3)
        self.runs_box = QComboBox()
        self.open_run_btn = QPushButton("Resume run")
        self.open_run_btn.clicked.connect(self.resume_selected_run)
        ctl.addWidget(QLabel("Unfinished runs"), 2, 0)
        ctl.addWidget(self.runs_box, 2, 1, 1, 2)
        ctl.addWidget(self.open_run_btn, 2, 3)
        left.addLayout(ctl)
        left.addStretch(1)
        root.addLayout(left, 5)

        split = QSplitter()
        plots = QSplitter(Qt.Orientation.Vertical)
        self.loss_plot = pg.PlotWidget(title="Losses")
        self.eval_plot = pg.PlotWidget(title="Evaluation")
        for plot in (self.loss_plot, self.eval_plot):
            plot.useOpenGL(False)
            plot.addLegend(offset=(-5, 5))  # top right: clear of the early, large losses
            plot.setLabel("bottom", "step")
            plot.showGrid(x=True, y=True, alpha=0.2)
            plots.addWidget(plot)
        split.addWidget(plots)
        self.curves = {key: self.loss_plot.plot([], [], pen=pg.mkPen(COLORS[key], width=1.5), name=name)
                       for key, name in (("g", "generator"), ("d", "discriminator"), ("rec", "reconstruction"))}
        side = QWidget()
        side_layout = QVBoxLayout(side)
        side_layout.setContentsMargins(0, 0, 0, 0)
        side_layout.addWidget(QLabel("Previews (click to play)"))
        self.previews = QListWidget()
        self.previews.itemClicked.connect(self._preview_clicked)
        side_layout.addWidget(self.previews, 1)
        self.record_view = QPlainTextEdit(readOnly=True)
        self.record_view.setPlaceholderText("The model's training record appears here when the run is done.")
        side_layout.addWidget(self.record_view, 1)
        self.use_btn = QPushButton("Use this model")
        self.use_btn.clicked.connect(self.use_model)
        side_layout.addWidget(self.use_btn)
        split.addWidget(side)
        split.setStretchFactor(0, 3)
        split.setStretchFactor(1, 1)
        root.addWidget(split, 6)
        self._task_changed()

    def _task_changed(self) -> None:
        while self.data_layout.rowCount():
            self.data_layout.removeRow(0)
        self.data_edits = {}
        for kw, flag, label in data_args(self.task_name):
            row = QHBoxLayout()
            edit = QLineEdit(placeholderText="empty: the project's own generated data")
            edit.textChanged.connect(self._update_buttons)
            browse = QPushButton("Browse…")
            browse.clicked.connect(lambda _=False, e=edit, lab=label: self._browse(e, lab))
            row.addWidget(edit, 1)
            row.addWidget(browse)
            self.data_layout.addRow(label, row)
            self.data_edits[flag] = edit
        self.model_box.clear()
        try:
            for m in find_models(self.task_kind, runs_dir=self.runs_dir):
                self.model_box.addItem(f"{m.path.stem} ({m.source})", str(m.path))
        except Exception:  # an unreadable models folder must not break the panel
            pass
        self.finetune.setEnabled(self.model_box.count() > 0)
        self._update_buttons()

    def _browse(self, edit: QLineEdit, label: str) -> None:
        folder = QFileDialog.getExistingDirectory(self, label, edit.text() or str(Path.home()))
        if folder:
            edit.setText(folder)

    @property
    def task_name(self) -> str:
        return self.task_box.currentData() or ""

    @property
    def task_kind(self) -> str:
        name = self.task_name
        return name if name in TASKS else name.rpartition(":")[2].lower().removesuffix("task")

    def data_folders(self) -> dict[str, str]:
        return {flag: e.text().strip() for flag, e in self.data_edits.items() if e.text().strip()}

    # -- scan ----------------------------------------------------------------------------------
    def scan(self) -> None:
        folders = self.data_folders()
        if not folders:
            self.scan_reports, self._scan_key = {}, (self.task_name, ())
            self.report.setPlainText("No folders given: the project's own generated data will be used.")
            self._update_buttons()
            return
        if self._jobs is None:
            self._jobs = QtJobs(JobThread("training-scan"), self)
            self._jobs.finished.connect(self._scan_done)
            self._jobs.failed.connect(self._scan_failed)
        self.report.setPlainText("Scanning…")
        self.scan_btn.setEnabled(False)
        min_s = MIN_SECONDS.get(self.task_kind, 0.05)
        key = (self.task_name, tuple(sorted(folders.items())))
        self._jobs.submit(lambda: (key, {flag: scan_folder(f, min_s) for flag, f in folders.items()}))

    def _scan_done(self, _job_id, value) -> None:
        key, reports = value
        if self._jobs is not None:  # one thread per scan: nothing left running when the panel goes
            self._jobs.jobs.shutdown(wait=False, cancel=False)
            self._jobs = None
        self.scan_btn.setEnabled(True)
        self.scan_reports, self._scan_key = reports, key
        self.report.setPlainText("\n".join(r.summary() for r in reports.values()))
        self._update_buttons()

    def _scan_failed(self, _job_id, text: str) -> None:
        self._scan_done(_job_id, (None, {}))
        self.report.setPlainText(f"Scan failed: {text}")

    def scan_ok(self) -> bool:
        key = (self.task_name, tuple(sorted(self.data_folders().items())))
        if not self.data_folders():
            return True
        return self._scan_key == key and all(r.ok for r in self.scan_reports.values())

    # -- control -------------------------------------------------------------------------------
    def start(self) -> None:
        if self.running or not self.scan_ok():
            return
        try:
            settings = _parse_settings(self.settings_edit.text())
        except ValueError as exc:
            self.report.setPlainText(str(exc))
            return
        run_dir = self.runs_dir / f"{self.task_kind}-{time.strftime('%Y%m%d-%H%M%S')}"
        n = 1
        while run_dir.exists():
            n += 1
            run_dir = run_dir.with_name(f"{run_dir.name.split('~')[0]}~{n}")
        from_model = self.model_box.currentData() if self.finetune.isChecked() else None
        self._attach(TrainingProcess.start(
            self.task_name, run_dir, data=self.data_folders(), from_model=from_model, steps=self.steps.value(),
            device=self.device.currentText(), ckpt_every=self.ckpt_every.value(),
            eval_every=self.eval_every.value(), average_from=self.average_from.value() or None,
            settings=settings, env=self.env))

    def resume_selected_run(self) -> None:
        run_dir = self.runs_box.currentData()
        if not run_dir or self.running:
            return
        info = next((r for r in find_runs(self.runs_dir) if str(r.run_dir) == run_dir), None)
        if info is not None and info.alive:  # still training from an earlier session: watch it
            self._attach(TrainingProcess.attach(run_dir))
        else:
            self._attach(TrainingProcess.start(None, run_dir, resume=True, env=self.env))

    def _attach(self, tp: TrainingProcess) -> None:
        self.tp = tp
        self._clear_views()
        self.timer.start()
        self.refresh()

    def pause(self) -> None:
        if self.tp is not None:
            self.tp.pause()

    def resume(self) -> None:
        if self.tp is not None:
            self.tp.resume()

    def stop(self) -> None:
        if self.tp is not None:
            self.tp.stop()

    @property
    def running(self) -> bool:
        return self.tp is not None and self.tp.running

    @property
    def state(self) -> str:
        return self.tp.progress.state if self.tp is not None else "idle"

    # -- watching ------------------------------------------------------------------------------
    def _clear_views(self) -> None:
        for c in self.curves.values():
            c.setData([], [])
        for c in self._eval_curves.values():
            self.eval_plot.removeItem(c)
        self._eval_curves = {}
        self.previews.clear()
        self.record_view.clear()
        self._seen_evals = 0

    def refresh(self) -> None:
        """Timer tick: fold in what the training process wrote since the last tick."""
        tp = self.tp
        if tp is None:
            return
        tp.poll()
        p = tp.progress
        self.progress.setValue(int(p.fraction * 1000))
        if p.state in ("running", "paused", "starting"):
            self.rate_label.setText(f"{p.state} · step {p.step}/{p.total} · {p.steps_per_s:.1f} steps/s · "
                                    f"{format_eta(p.eta_s)} left")
        else:
            self.rate_label.setText(f"{p.state} at step {p.step}/{p.total}" + (f": {p.error}" if p.error else ""))
        c = tp.curves
        for key in ("g", "d", "rec"):
            ys = getattr(c, key)
            xs, ys = _thin(c.step, ys)
            finite = [(x, y) for x, y in zip(xs, ys) if math.isfinite(y)]
            self.curves[key].setData([x for x, _ in finite], [y for _, y in finite])
        if len(tp.evals) < getattr(self, "_seen_evals", 0):
            self._clear_views()
        for ev in tp.evals[getattr(self, "_seen_evals", 0):]:
            self._add_eval(ev)
        self._seen_evals = len(tp.evals)
        if p.state == "done" and tp.export and not self.record_view.toPlainText():
            self._show_record(tp.record())
        if p.state != self._last_state:
            self._last_state = p.state
            self.state_changed.emit(p.state)
        if p.state not in ("running", "paused", "starting") and not tp.running:
            self.timer.stop()  # the process has exited: nothing more to read
            self.refresh_runs()
        self._update_buttons()

    def _add_eval(self, ev: dict) -> None:
        palette = ["#d060d0", "#50c0c0", "#c0c050", "#c06050", "#8080f0"]
        for name, value in ev["metrics"].items():
            if name.endswith("_s") or "/" in name or not math.isfinite(float(value)):
                continue
            curve = self._eval_curves.get(name)
            if curve is None:
                if len(self._eval_curves) >= len(palette):
                    continue
                curve = self.eval_plot.plot([], [], pen=pg.mkPen(palette[len(self._eval_curves)], width=1.5),
                                            symbol="o", symbolSize=5, name=name)
                self._eval_curves[name] = curve
            xs, ys = curve.getData()
            xs = [] if xs is None else list(xs)
            ys = [] if ys is None else list(ys)
            curve.setData(xs + [ev["step"]], ys + [float(value)])
        for path in ev.get("previews", []):
            item = QListWidgetItem(f"step {ev['step']}: {Path(path).stem}")
            item.setData(256, path)  # Qt.UserRole
            self.previews.addItem(item)

    def _show_record(self, config: dict) -> None:
        rec = config.get("training", {})
        lines = [f"model: {self.tp.export}", f"steps: {rec.get('steps')}",
                 f"wall time: {format_eta(rec.get('wall_time_s'))}", f"hardware: {rec.get('hardware', '-')}"]
        for k, v in sorted((rec.get("metrics") or rec.get("val") or {}).items()):
            lines.append(f"  {k}: {v:.4g}" if isinstance(v, (int, float)) else f"  {k}: {v}")
        data = rec.get("data") or {}
        for kw, d in data.items():
            if isinstance(d, dict) and "files" in d:
                lines.append(f"data {kw}: {d['files']} files, {d.get('minutes', 0):.1f} min, {len(d.get('skipped', []))} skipped")
        self.record_view.setPlainText("\n".join(lines))

    def _preview_clicked(self, item: QListWidgetItem) -> None:
        path = item.data(256)
        listened = self.receivers(SIGNAL("preview_requested(QString)")) > 0
        self.preview_requested.emit(path)
        if listened:
            return
        try:  # no window listening: play it directly
            import sounddevice as sd

            from desktop_gan.io.audiofile import load_audio

            audio = load_audio(path)
            sd.play(audio.data, audio.samplerate)
        except Exception as exc:  # no audio device here: say so, never crash the panel
            self.rate_label.setText(f"cannot play preview: {exc}")

    def use_model(self) -> None:
        if self.tp is None or not self.tp.export:
            return
        name = f"{self.task_kind}-{self.tp.run_dir.name}"
        try:
            path = install_model(Path(self.tp.export), self.models_dir, name=name)
        except Exception as exc:
            QMessageBox.warning(self, "Use this model", f"The model could not be installed: {exc}")
            return
        self.use_btn.setEnabled(False)
        self.use_btn.setText("In your models")
        self.model_ready.emit(str(path))

    def refresh_runs(self) -> None:
        self.runs_box.clear()
        for r in find_runs(self.runs_dir):
            label = f"{r.run_dir.name} · {r.kind} · {r.state} at {r.step}/{r.total}"
            self.runs_box.addItem(label, str(r.run_dir))
        self._update_buttons()

    def _update_buttons(self) -> None:
        running = self.running
        state = self.state
        self.start_btn.setEnabled(not running and self.scan_ok())
        self.pause_btn.setEnabled(running and state == "running")
        self.resume_btn.setEnabled(running and state == "paused")
        self.stop_btn.setEnabled(running)
        self.open_run_btn.setEnabled(not running and self.runs_box.count() > 0)
        self.use_btn.setEnabled(self.tp is not None and state == "done" and bool(self.tp.export)
                                and self.use_btn.text() == "Use this model")
        for w in (self.task_box, self.scan_btn, self.data_rows, self.steps, self.settings_edit, self.eval_every,
                  self.ckpt_every, self.device, self.average_from, self.scratch, self.model_box):
            w.setEnabled(not running)
        self.finetune.setEnabled(not running and self.model_box.count() > 0)

    # -- closing -------------------------------------------------------------------------------
    def ask_close(self) -> str:
        """'stop' | 'keep' | 'cancel' (a dialog; tests replace this method)."""
        box = QMessageBox(QMessageBox.Icon.Question, "Training is running",
                          "Training is still running. Stop it (a checkpoint is kept and it can be resumed) "
                          "or keep it training in the background?", parent=self)
        stop = box.addButton("Stop training", QMessageBox.ButtonRole.DestructiveRole)
        keep = box.addButton("Keep training", QMessageBox.ButtonRole.AcceptRole)
        box.addButton(QMessageBox.StandardButton.Cancel)
        box.exec()
        return "stop" if box.clickedButton() is stop else ("keep" if box.clickedButton() is keep else "cancel")

    def on_app_close(self, wait_s: float = 10.0) -> bool:
        """Called by the window before closing; False means: do not close."""
        if self.running:
            choice = self.ask_close()
            if choice == "cancel":
                return False
            if choice == "stop":
                self.tp.stop()
                if self.tp.wait(wait_s) is None and self.tp.running:
                    self.tp.kill()  # the previous checkpoint still loads
        self.timer.stop()
        if self._jobs is not None:
            self._jobs.jobs.shutdown(wait=True)
            self._jobs = None
        return True
