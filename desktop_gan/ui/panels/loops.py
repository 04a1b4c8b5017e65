"""Loops panel: sketch tempo-exact drum loops lane by lane.

The panel holds no audio or model logic: every operation (new loop, per-lane regenerate, variation,
restore from history, export) is a job on the inference worker (``desktop_gan.workers``), where the
``LoopSketch`` lives and is touched by that one thread only; results come back through
``QtJobs.finished`` on the GUI thread. Each finished render emits ``loop_ready(audio, samplerate)``
for the window's seamless player.

History (the last 100 loops) and favourites are JSON documents in the user's data folder
(``io.jsonstore``: atomic writes, a corrupted file is set aside with a warning). Dragging the
"Drag loop" handle out of the window hands the rendered WAV to a DAW or file manager as a file URL.
"""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
from PySide6.QtCore import QMimeData, Qt, QUrl, Signal
from PySide6.QtGui import QDrag
from PySide6.QtWidgets import (QCheckBox, QComboBox, QDial, QDoubleSpinBox, QFileDialog, QGridLayout, QHBoxLayout,
                               QLabel, QListWidget, QListWidgetItem, QPushButton, QSlider, QSpinBox, QVBoxLayout,
                               QWidget)

from desktop_gan.core.params import DRUM_KINDS, PATTERN_STYLES, LoopParams
from desktop_gan.io.jsonstore import load_json, save_json
from desktop_gan.io.paths import user_data_dir

HISTORY_MAX = 100


def file_mime(path: str | Path) -> QMimeData:
    """Mime data carrying one local file as a URL (what DAWs and file managers accept)."""
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(Path(path).resolve()))])
    return mime


class DragHandle(QLabel):
    """A label that starts a file drag of ``path`` when dragged."""

    def __init__(self, text: str, parent=None) -> None:
        super().__init__(text, parent)
        self.path: Path | None = None
        self.setFrameStyle(QLabel.Panel | QLabel.Raised)
        self.setAlignment(Qt.AlignCenter)
        self.setToolTip("Drag the rendered loop into a DAW or a folder")

    def mouseMoveEvent(self, event) -> None:  # noqa: N802 (Qt name)
        if self.path is None or not (event.buttons() & Qt.LeftButton):
            return
        drag = QDrag(self)
        drag.setMimeData(file_mime(self.path))
        drag.exec(Qt.CopyAction)


class DropLabel(QLabel):
    """A lane's name; dropping an audio file on it asks for "more like this" sound."""

    dropped = Signal(str)

    def __init__(self, text: str, parent=None) -> None:
        super().__init__(text, parent)
        self.setAcceptDrops(True)
        self.setToolTip("Drop a sound here for more like it")

    def dragEnterEvent(self, event) -> None:  # noqa: N802
        if event.mimeData().hasUrls():
            event.acceptProposedAction()

    def dropEvent(self, event) -> None:  # noqa: N802
        urls = [u.toLocalFile() for u in event.mimeData().urls() if u.isLocalFile()]
        if urls:
            self.dropped.emit(urls[0])
            event.acceptProposedAction()


class LaneRow:
    """The widgets of one lane; plain holder, the panel wires the signals."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.label = DropLabel(kind)
        self.mute = QCheckBox("M")
        self.solo = QCheckBox("S")
        self.level = QSlider(Qt.Horizontal)
        self.level.setRange(0, 150)
        self.level.setValue(100)
        self.regen_sound = QPushButton("New sound")
        self.regen_pattern = QPushButton("New pattern")
        self.lock_sound = QCheckBox("Lock sound")
        self.lock_pattern = QCheckBox("Lock pattern")
        self.variation = QDial()
        self.variation.setRange(0, 100)
        self.variation.setValue(20)
        self.variation.setFixedSize(36, 36)
        self.variation.setToolTip("Variation: how far 'Vary' moves this sound")
        self.vary = QPushButton("Vary")
        self.morph = QSlider(Qt.Horizontal)
        self.morph.setRange(0, 100)
        self.morph.setValue(100)
        self.morph.setFixedWidth(80)
        self.morph.setToolTip("Morph: slide left towards this lane's previous sound, right to its newest")

    def widgets(self):
        return [self.label, self.mute, self.solo, self.level, self.regen_sound, self.regen_pattern,
                self.lock_sound, self.lock_pattern, self.variation, self.vary, self.morph]

    def morph_to_newest(self) -> None:
        """A new sound replaced the old one: the morph slider starts at the new end again."""
        self.morph.blockSignals(True)
        self.morph.setValue(100)
        self.morph.blockSignals(False)


class LoopsPanel(QWidget):
    loop_ready = Signal(object, int)  # (float32 mono audio, samplerate)
    warning = Signal(str)

    def __init__(self, jobs=None, data_dir: Path | None = None, drums_model=None, patterns_model=None,
                 parent=None) -> None:
        super().__init__(parent)
        self._own_worker = None
        if jobs is None:
            from desktop_gan.workers.jobs import InferenceWorker
            from desktop_gan.workers.qt_bridge import QtJobs

            self._own_worker = InferenceWorker("loops").start()
            jobs = QtJobs(self._own_worker, self)
        self.jobs = jobs
        self.jobs.finished.connect(self._on_finished)
        self.jobs.failed.connect(self._on_failed)
        self._pending: dict[int, str] = {}
        self._sketch = None  # lives on the worker thread; only jobs touch it
        self._models = (drums_model, patterns_model)
        self.data_dir = Path(data_dir) if data_dir else user_data_dir()
        self.last_audio: np.ndarray | None = None
        self.last_path: Path | None = None
        self.state: dict | None = None
        self._build()
        self.history = self._load("loops_history.json")
        self.favourites = self._load("loops_favourites.json")
        self._refresh_lists()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        top = QHBoxLayout()
        self.bpm = QDoubleSpinBox()
        self.bpm.setRange(60, 200)
        self.bpm.setValue(120)
        self.bpm.setDecimals(1)
        self.bars = QComboBox()
        self.bars.addItems(["1", "2", "4", "8"])
        self.bars.setCurrentText("4")
        self.swing = QDoubleSpinBox()
        self.swing.setRange(0, 0.75)
        self.swing.setSingleStep(0.05)
        self.style = QComboBox()
        self.style.addItems(list(PATTERN_STYLES))
        self.seed = QSpinBox()
        self.seed.setRange(0, 2**31 - 1)
        self.generate = QPushButton("Generate")
        self.next_seed = QPushButton("Next seed")
        for label, w in [("Tempo", self.bpm), ("Bars", self.bars), ("Swing", self.swing), ("Style", self.style),
                         ("Seed", self.seed)]:
            top.addWidget(QLabel(label))
            top.addWidget(w)
        top.addWidget(self.generate)
        top.addWidget(self.next_seed)
        grid = QGridLayout()
        self.lanes = [LaneRow(k) for k in DRUM_KINDS]
        for c, title in ((3, "Level"), (8, "Variation"), (10, "Morph: previous ↔ newest")):
            head = QLabel(title)
            head.setObjectName("laneHeader")
            grid.addWidget(head, 0, c)
        for r, lane in enumerate(self.lanes):
            for c, w in enumerate(lane.widgets()):
                grid.addWidget(w, r + 1, c)
            lane.mute.toggled.connect(lambda on, i=r: self._lane_op("set", i, mute=on))
            lane.solo.toggled.connect(lambda on, i=r: self._lane_op("set", i, solo=on))
            lane.level.sliderReleased.connect(lambda i=r: self._lane_op("set", i, level=self.lanes[i].level.value() / 100))
            lane.lock_sound.toggled.connect(lambda on, i=r: self._lane_op("set", i, lock_sound=on, render=False))
            lane.lock_pattern.toggled.connect(lambda on, i=r: self._lane_op("set", i, lock_pattern=on, render=False))
            lane.regen_sound.clicked.connect(lambda _=False, i=r: self._lane_op("sound", i))
            lane.morph.sliderReleased.connect(lambda i=r: self._lane_op("morph", i, t=self.lanes[i].morph.value() / 100))
            lane.regen_pattern.clicked.connect(lambda _=False, i=r: self._lane_op("pattern", i))
            lane.label.dropped.connect(lambda path, i=r: self.more_like_this(i, path))
            lane.vary.clicked.connect(lambda _=False, i=r: self._lane_op("vary", i, amount=self.lanes[i].variation.value() / 100))
        bottom = QHBoxLayout()
        self.export_wav = QPushButton("Export WAV")
        self.export_stems = QPushButton("Export stems")
        self.export_midi = QPushButton("Export MIDI")
        self.favourite = QPushButton("★ Favourite")
        self.drag = DragHandle("Drag loop")
        self.status = QLabel("")
        for w in (self.export_wav, self.export_stems, self.export_midi, self.favourite, self.drag):
            bottom.addWidget(w)
        lists = QHBoxLayout()
        self.history_list = QListWidget()
        self.favourite_list = QListWidget()
        lists.addWidget(self._titled("History", self.history_list))
        lists.addWidget(self._titled("Favourites", self.favourite_list))
        root = QVBoxLayout(self)
        root.addLayout(top)
        root.addLayout(grid)
        root.addLayout(bottom)
        root.addWidget(self.status)
        root.addLayout(lists)
        self.generate.clicked.connect(self.generate_loop)
        self.next_seed.clicked.connect(lambda: (self.seed.setValue(self.seed.value() + 1), self.generate_loop()))
        self.export_wav.clicked.connect(lambda: self._ask_export("wav"))
        self.export_stems.clicked.connect(lambda: self._ask_export("stems"))
        self.export_midi.clicked.connect(lambda: self._ask_export("midi"))
        self.favourite.clicked.connect(self.add_favourite)
        self.history_list.itemDoubleClicked.connect(self._recall)
        self.favourite_list.itemDoubleClicked.connect(self._recall)

    @staticmethod
    def _titled(title: str, w: QWidget) -> QWidget:
        box = QWidget()
        lay = QVBoxLayout(box)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(QLabel(title))
        lay.addWidget(w)
        return box

    def params(self) -> LoopParams:
        return LoopParams(bpm=self.bpm.value(), bars=int(self.bars.currentText()), swing=self.swing.value(),
                          samplerate=48000, style=self.style.currentText(), seed=self.seed.value())

    # -- jobs (the functions below run on the worker thread) ----------------------------------
    def _submit(self, what: str, fn, *args, **kwargs) -> int:
        job_id = self.jobs.submit(fn, *args, **kwargs)
        self._pending[job_id] = what
        self.status.setText("working…")
        return job_id

    def _ensure_sketch(self, params: LoopParams, device: str = "cpu"):
        if self._sketch is None:
            from desktop_gan.runtime.loops import LoopSketch

            self._sketch = LoopSketch.from_models(params, *self._models, device=device)
        return self._sketch

    def _render_job(self, op: str, params: LoopParams, lane: int | None = None, opts: dict | None = None,
                    ctx=None) -> dict:
        import dataclasses

        kw = dict(opts or {})
        t0 = time.perf_counter()
        sk = self._ensure_sketch(params, (ctx.device if ctx is not None else None) or "cpu")
        sk.set_params(params)
        if op == "new":
            sk.new(params.seed)
        elif op == "sound":
            sk.regenerate_sound(lane)
        elif op == "pattern":
            sk.regenerate_pattern(lane)
        elif op == "vary":
            sk.variation(lane, kw["amount"])
        elif op == "morph":
            sk.morph_previous(lane, kw["t"])
        elif op == "set":
            render = kw.pop("render", True)
            for k, v in kw.items():
                setattr(sk.lanes[lane], k, v)
            if not render:
                return {"state": sk.state(), "audio": None}
        elif op == "restore":
            sk.restore(kw["state"])
        elif op == "like":
            from desktop_gan.io.audiofile import load_audio

            src = load_audio(kw["path"])
            sk.more_like_this(lane, src.data, src.samplerate)
        mix, _ = sk.render()
        path = self.data_dir / "loops" / "current.wav"
        path.parent.mkdir(parents=True, exist_ok=True)
        from desktop_gan.io.audiofile import save_audio

        save_audio(path, mix, sk.params.samplerate, overwrite=True)
        return {"state": sk.state(), "audio": mix, "samplerate": sk.params.samplerate, "path": path,
                "ms": 1000 * (time.perf_counter() - t0), "params": dataclasses.asdict(sk.params)}

    def _export_job(self, what: str, target: str) -> str:
        from desktop_gan.io.audiofile import save_audio
        from desktop_gan.runtime.midi_export import pattern_to_midi

        sk = self._sketch
        mix, stems = sk.render()
        if what == "wav":
            save_audio(target, mix, sk.params.samplerate, overwrite=True)
        elif what == "stems":
            Path(target).mkdir(parents=True, exist_ok=True)
            for lane, stem in zip(sk.lanes, stems):
                save_audio(Path(target) / f"{lane.kind}.wav", stem, sk.params.samplerate, overwrite=True)
        else:
            vel, off = sk.pattern()
            pattern_to_midi(vel, off, sk.params, target, muted=[not a for a in sk.active()])
        return target

    # -- GUI-thread actions ---------------------------------------------------------------------
    def generate_loop(self) -> int:
        for lane in self.lanes:
            lane.morph_to_newest()
        return self._submit("render", self._render_job, "new", self.params())

    def _lane_op(self, op: str, lane: int, **kw) -> int:
        if op in ("sound", "vary"):
            self.lanes[lane].morph_to_newest()
        return self._submit("render", self._render_job, op, self.params(), lane, kw)

    def more_like_this(self, lane: int, path: str | Path) -> int:
        """Invert the sound in ``path`` into lane ``lane``'s latent (on the worker), then render."""
        self.lanes[lane].morph_to_newest()
        return self._submit("render", self._render_job, "like", self.params(), lane, {"path": str(path)})

    def export(self, what: str, target: str | Path) -> int | None:
        if self._sketch is None:
            self.status.setText("generate a loop first")
            return None
        return self._submit("export", self._export_job, what, str(target))

    def _ask_export(self, what: str) -> None:
        if what == "stems":
            target = QFileDialog.getExistingDirectory(self, "Export stems to")
        else:
            flt = "WAV (*.wav)" if what == "wav" else "MIDI (*.mid)"
            target, _ = QFileDialog.getSaveFileName(self, f"Export {what.upper()}", "", flt)
        if target:
            self.export(what, target)

    def _on_finished(self, job_id: int, value) -> None:
        what = self._pending.pop(job_id, None)
        if what is None:
            return
        if what == "export":
            self.status.setText(f"exported {value}")
            return
        self.state = value["state"]
        if value.get("audio") is None:
            self.status.setText("")
            return
        self.last_audio = value["audio"]
        self.last_path = self.drag.path = Path(value["path"])
        p = value["params"]
        self.status.setText(f"{p['bars']} bars at {p['bpm']:g} BPM, {p['style']}, seed {p['seed']} "
                            f"- {len(self.last_audio)} samples in {value['ms']:.0f} ms")
        self._push_history(self.state)
        self.loop_ready.emit(self.last_audio, int(value["samplerate"]))

    def _on_failed(self, job_id: int, message: str) -> None:
        if self._pending.pop(job_id, None) is not None:
            self.status.setText(f"failed: {message.strip().splitlines()[-1] if message.strip() else message}")

    # -- history and favourites -----------------------------------------------------------------
    def _load(self, name: str) -> list:
        data, warning = load_json(self.data_dir / name, [])
        if warning:
            self.status.setText(warning)
            self.warning.emit(warning)
        return [d for d in data if isinstance(d, dict) and "params" in d and "lanes" in d]

    def _push_history(self, state: dict) -> None:
        if self.history and self.history[0] == state:
            return
        self.history.insert(0, state)
        del self.history[HISTORY_MAX:]
        save_json(self.data_dir / "loops_history.json", self.history)
        self._refresh_lists()

    def add_favourite(self) -> None:
        if self.state is not None and self.state not in self.favourites:
            self.favourites.insert(0, self.state)
            save_json(self.data_dir / "loops_favourites.json", self.favourites)
            self._refresh_lists()

    def _refresh_lists(self) -> None:
        for widget, items in ((self.history_list, self.history), (self.favourite_list, self.favourites)):
            widget.clear()
            for st in items:
                p = st["params"]
                item = QListWidgetItem(f"{p['style']} {p['bpm']:g} BPM, {p['bars']} bars, seed {p['seed']}")
                item.setData(Qt.UserRole, st)
                widget.addItem(item)

    def _recall(self, item: QListWidgetItem) -> None:
        self.recall(item.data(Qt.UserRole))

    def recall(self, state: dict) -> int:
        p = state["params"]
        for w in (self.bpm, self.bars, self.swing, self.style, self.seed):
            w.blockSignals(True)
        self.bpm.setValue(p["bpm"])
        self.bars.setCurrentText(str(p["bars"]))
        self.swing.setValue(p["swing"])
        self.style.setCurrentText(p["style"])
        self.seed.setValue(p["seed"])
        for w in (self.bpm, self.bars, self.swing, self.style, self.seed):
            w.blockSignals(False)
        for row, lane in zip(self.lanes, state["lanes"]):
            for box, key in ((row.mute, "mute"), (row.solo, "solo"), (row.lock_sound, "lock_sound"),
                             (row.lock_pattern, "lock_pattern")):
                box.blockSignals(True)
                box.setChecked(bool(lane[key]))
                box.blockSignals(False)
            row.level.setValue(int(round(100 * lane["level"])))
        return self._submit("render", self._render_job, "restore", self.params(), None, {"state": state})

    def shutdown(self) -> None:
        """Stop the panel's own worker (when it made one); the window calls this before exit."""
        if self._own_worker is not None:
            self._own_worker.shutdown()
            self._own_worker = None

    def closeEvent(self, event) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(event)
