"""Enhance panel: live enhancement of the input and offline enhancement of the loaded take.

The panel only steers: live processing runs in ``workers.live_enhance.LiveEnhancer`` (its own
thread), offline enhancement is a job on the jobs thread (``enhance_offline``), and every control
change builds a new frozen ``EnhanceParams`` that is handed over whole, so parameters change live
without reloading the model. Enhancing a take makes a NEW array (``take_ready``); the original is
kept and the A/B toggle (``ab_changed``) tells the window which of the two to play and show.

Hosting (the window): ``EnhancePanel(engine, jobs, parent)`` where ``engine`` is an AudioEngine or
an object with an ``.engine`` attribute (the window's EngineLink, whose engine may come and go);
call ``set_source(data, samplerate, name)`` when a file or selection is loaded, and
``shutdown()`` before exit (also hooked to ``QApplication.aboutToQuit``). ``panel_for_host(host)``
does that wiring for ``MainWindow``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (QApplication, QComboBox, QFrame, QGridLayout, QHBoxLayout, QLabel, QProgressBar,
                               QPushButton, QSlider, QToolButton, QVBoxLayout, QWidget)

from desktop_gan.core.params import EnhanceParams
from desktop_gan.io.paths import model_dirs as default_model_dirs
from desktop_gan.workers.live_enhance import (LiveEnhancer, check_model, enhance_offline, find_enhancer_models,
                                              model_factory, prepare_runtime)

LISTEN_MODES = (("Enhanced", "enhanced"), ("Residue (what was removed)", "residue"))
STATS_INTERVAL_MS = 200


def _caption(text: str) -> QLabel:
    label = QLabel(text)
    label.setObjectName("Caption")
    return label


def _section(title: str) -> tuple[QFrame, QVBoxLayout]:
    frame = QFrame()
    frame.setObjectName("Bar")
    lay = QVBoxLayout(frame)
    lay.setContentsMargins(8, 6, 8, 8)
    lay.setSpacing(6)
    lay.addWidget(_caption(title))
    return frame, lay


class EnhancePanel(QWidget):
    take_ready = Signal(object, int, str)  # enhanced np.ndarray (frames, ch) or (frames,), samplerate, name
    ab_changed = Signal(bool)  # True = play/show the enhanced take, False = the original

    def __init__(self, engine=None, jobs=None, parent: QWidget | None = None, *,
                 model_dirs: list[Path] | None = None) -> None:
        super().__init__(parent)
        self._engine_src = engine
        self._own_jobs = None
        if jobs is None:
            from desktop_gan.workers.jobs import JobThread
            from desktop_gan.workers.qt_bridge import QtJobs

            self._own_jobs = JobThread("enhance-jobs").start()
            jobs = QtJobs(self._own_jobs, self)
        self.jobs = jobs
        self.jobs.progress.connect(self._on_job_progress)
        self.jobs.finished.connect(self._on_job_finished)
        self.jobs.failed.connect(self._on_job_failed)
        self.jobs.cancelled.connect(self._on_job_cancelled)
        self.jobs.jobs.submit(prepare_runtime)  # the compiled kernel is ready before Live is pressed
        self._model_dirs = model_dirs
        self.live: LiveEnhancer | None = None
        self._live_engine = None
        self._job: int | None = None
        self._source: tuple[np.ndarray, int, str] | None = None
        self.enhanced: np.ndarray | None = None
        self._model_error: str | None = None
        self._holding = False
        self._build()
        self.refresh_models()
        self._timer = QTimer(self)
        self._timer.setInterval(STATS_INTERVAL_MS)
        self._timer.timeout.connect(self.update_stats)
        self._timer.start()
        app = QApplication.instance()
        if app is not None:
            app.aboutToQuit.connect(self.shutdown)
        self._update_enabled()

    # -- layout ------------------------------------------------------------------------------
    def _build(self) -> None:
        root = QVBoxLayout(self)
        root.setContentsMargins(6, 6, 6, 6)
        root.setSpacing(6)

        head = QHBoxLayout()
        title = QLabel("GAN ENHANCER")
        title.setStyleSheet("font-weight: bold; letter-spacing: 1px;")
        head.addWidget(title)
        head.addSpacing(12)
        head.addWidget(_caption("Model"))
        self.model_combo = QComboBox()
        self.model_combo.setMinimumWidth(220)
        self.model_combo.setToolTip("Enhancer models in resources/models and your models folder")
        self.model_combo.currentIndexChanged.connect(self._on_model_changed)
        head.addWidget(self.model_combo, 1)
        self.rescan_button = QToolButton(text="Rescan")
        self.rescan_button.setToolTip("Look for new model files")
        self.rescan_button.clicked.connect(self.refresh_models)
        head.addWidget(self.rescan_button)
        root.addLayout(head)

        body = QHBoxLayout()
        body.setSpacing(6)
        live_frame, live = _section("Live (input → enhancer → output)")
        row = QHBoxLayout()
        self.live_button = QToolButton(text="Live enhance")
        self.live_button.setCheckable(True)
        self.live_button.setToolTip("Monitor the input through the enhancer to the output")
        self.live_button.toggled.connect(self._on_live_toggled)
        self.bypass_button = QToolButton(text="Bypass")
        self.bypass_button.setCheckable(True)
        self.bypass_button.setToolTip("Play the latency-aligned dry signal (short crossfade)")
        self.bypass_button.toggled.connect(self._push_params)
        self.compare_button = QPushButton("Hold to compare")
        self.compare_button.setToolTip("Bypass while held: A/B against the dry signal")
        self.compare_button.pressed.connect(lambda: self._set_holding(True))
        self.compare_button.released.connect(lambda: self._set_holding(False))
        for w in (self.live_button, self.bypass_button, self.compare_button):
            row.addWidget(w)
        row.addStretch(1)
        live.addLayout(row)

        grid = QGridLayout()
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(4)
        self.strength_slider = QSlider(Qt.Orientation.Horizontal)
        self.strength_slider.setRange(0, 60)
        self.strength_slider.setValue(int(EnhanceParams().strength_db))
        self.strength_slider.setToolTip("Attenuation limit: how far the model may pull noise down")
        self.strength_value = QLabel()
        self.mix_slider = QSlider(Qt.Orientation.Horizontal)
        self.mix_slider.setRange(0, 100)
        self.mix_slider.setValue(int(round(EnhanceParams().mix * 100)))
        self.mix_slider.setToolTip("Dry/wet: the dry path is delayed to line up with the enhanced one")
        self.mix_value = QLabel()
        self.listen_combo = QComboBox()
        for text, mode in LISTEN_MODES:
            self.listen_combo.addItem(text, mode)
        self.listen_combo.currentIndexChanged.connect(self._push_params)
        for label in (self.strength_value, self.mix_value):
            label.setMinimumWidth(48)
            label.setAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        grid.addWidget(_caption("Strength"), 0, 0)
        grid.addWidget(self.strength_slider, 0, 1)
        grid.addWidget(self.strength_value, 0, 2)
        grid.addWidget(_caption("Dry / wet"), 1, 0)
        grid.addWidget(self.mix_slider, 1, 1)
        grid.addWidget(self.mix_value, 1, 2)
        grid.addWidget(_caption("Listen"), 2, 0)
        grid.addWidget(self.listen_combo, 2, 1, 1, 2)
        grid.setColumnStretch(1, 1)
        live.addLayout(grid)
        self.strength_slider.valueChanged.connect(self._push_params)
        self.mix_slider.valueChanged.connect(self._push_params)
        self.stats_label = QLabel()
        self.stats_label.setObjectName("Detail")
        live.addWidget(self.stats_label)
        body.addWidget(live_frame, 3)

        off_frame, off = _section("Offline (loaded file or selection → new take)")
        self.source_label = QLabel("No file loaded")
        self.source_label.setObjectName("Detail")
        self.source_label.setWordWrap(True)
        off.addWidget(self.source_label)
        row = QHBoxLayout()
        self.enhance_button = QPushButton("Enhance take")
        self.enhance_button.setToolTip("Enhance into a new take; the original is kept")
        self.enhance_button.clicked.connect(self.enhance_take)
        self.cancel_button = QPushButton("Cancel")
        self.cancel_button.clicked.connect(self.cancel)
        row.addWidget(self.enhance_button)
        row.addWidget(self.cancel_button)
        off.addLayout(row)
        self.progress = QProgressBar()
        self.progress.setRange(0, 1000)
        self.progress.setTextVisible(False)
        self.progress.setMaximumHeight(8)
        off.addWidget(self.progress)
        self.ab_button = QToolButton(text="A/B: original")
        self.ab_button.setCheckable(True)
        self.ab_button.setToolTip("Switch what plays and shows between the original and the enhanced take")
        self.ab_button.toggled.connect(self._on_ab_toggled)
        off.addWidget(self.ab_button)
        off.addStretch(1)
        body.addWidget(off_frame, 2)
        root.addLayout(body)

        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setStyleSheet("color: #f2c94c;")
        root.addWidget(self.message_label)
        root.addStretch(1)
        self._show_values()

    # -- parameters --------------------------------------------------------------------------
    def params(self) -> EnhanceParams:
        """The parameters the controls describe (hold-to-compare counts as bypass)."""
        return EnhanceParams(
            strength_db=float(self.strength_slider.value()),
            mix=self.mix_slider.value() / 100.0,
            bypass=self.bypass_button.isChecked() or self._holding,
            listen=self.listen_combo.currentData() or "enhanced",
        )

    def _show_values(self) -> None:
        self.strength_value.setText(f"{self.strength_slider.value()} dB")
        self.mix_value.setText(f"{self.mix_slider.value()} %")

    def _push_params(self, *_args) -> None:
        self._show_values()
        if self.live is not None:
            self.live.set_params(self.params())

    def _set_holding(self, held: bool) -> None:
        self._holding = held
        self._push_params()

    # -- models ------------------------------------------------------------------------------
    def refresh_models(self) -> None:
        dirs = self._model_dirs if self._model_dirs is not None else default_model_dirs()
        current = self.model_path
        self.model_combo.blockSignals(True)
        self.model_combo.clear()
        for name, path in find_enhancer_models(dirs):
            self.model_combo.addItem(name, str(path))
            self.model_combo.setItemData(self.model_combo.count() - 1, str(path), Qt.ItemDataRole.ToolTipRole)
        if current is not None:
            idx = self.model_combo.findData(str(current))
            self.model_combo.setCurrentIndex(max(idx, 0))
        self.model_combo.blockSignals(False)
        self._on_model_changed()

    @property
    def model_path(self) -> Path | None:
        data = self.model_combo.currentData() if hasattr(self, "model_combo") else None
        return Path(data) if data else None

    def select_model(self, path: str | Path) -> None:
        idx = self.model_combo.findData(str(path))
        if idx < 0:
            raise KeyError(f"{path} is not in the model list")
        self.model_combo.setCurrentIndex(idx)

    def _on_model_changed(self, *_args) -> None:
        path = self.model_path
        self._model_error = "No enhancer model found" if path is None else check_model(path)
        self._message(self._model_error or "")
        if self.live is not None:
            self._stop_live()
            if self._model_error is None:
                self._start_live()
        if self._model_error is not None and self.live_button.isChecked():
            self._set_live_button(False)
        self._update_enabled()

    # -- live ----------------------------------------------------------------------------------
    def set_engine(self, engine) -> None:
        """A new engine (or EngineLink); live enhancement moves over if it was on."""
        was_on = self.live is not None
        self._stop_live()
        self._engine_src = engine
        if was_on:
            self._start_live()

    def _engine(self):
        src = getattr(self._engine_src, "engine_link", self._engine_src)  # handed the window itself
        if src is not None and not hasattr(src, "attach_processor") and hasattr(src, "engine"):
            return src.engine
        return src

    def _on_live_toggled(self, on: bool) -> None:
        if on:
            self._start_live()
        else:
            self._stop_live()
            self.stats_label.setText("Live off")

    def _start_live(self) -> None:
        eng = self._engine()
        if eng is None or not getattr(eng, "running", False):
            self._message("Audio is not running: choose a device in the device bar first")
            self._set_live_button(False)
            return
        if self._model_error is not None:
            self._message(self._model_error)
            self._set_live_button(False)
            return
        live = LiveEnhancer(eng, model_factory(self.model_path), params=self.params())
        try:
            live.start()
        except Exception as exc:  # ModelFileError, unsupported rate, ...
            self._message(f"Live enhance could not start: {exc}")
            self._set_live_button(False)
            return
        self.live, self._live_engine = live, eng
        self._message("")
        self._set_live_button(True)
        self.update_stats()

    def _stop_live(self) -> None:
        live, self.live = self.live, None
        if live is not None:
            live.stop()

    def _set_live_button(self, on: bool) -> None:
        self.live_button.blockSignals(True)
        self.live_button.setChecked(on)
        self.live_button.blockSignals(False)

    def start_recording(self, raw_path: Path, enhanced_path: Path) -> bool:
        """While live enhance is on: record the raw input and the enhanced output as two takes."""
        if self.live is None:
            return False
        self.live.start_recording(Path(raw_path), Path(enhanced_path))
        return True

    def stop_recording(self, timeout: float = 2.0) -> tuple[Path, Path] | None:
        """Finish both takes (equal length, enhanced latency-compensated); None if not recording."""
        if self.live is None or not self.live.recording:
            return None
        return self.live.stop_recording(timeout=timeout)

    def update_stats(self) -> None:
        live = self.live
        if live is None:
            if not self.live_button.isChecked():
                self.stats_label.setText("Live off")
            return
        if self._engine() is not self._live_engine:  # the window restarted audio
            self.set_engine(self._engine_src)
            return
        try:
            st = live.stats()
        except Exception as exc:
            self._message(f"Live enhance stopped: {exc}")
            self._stop_live()
            self._set_live_button(False)
            return
        self.stats_label.setText(
            f"Added latency {st.added_latency_s * 1000:.1f} ms  ·  RTF {st.rtf:.3f}  ·  "
            f"Underruns {st.underruns}  ·  Monitor underruns {st.monitor_underruns}  ·  "
            f"Recoveries {st.recoveries}")
        self.stats_label.setToolTip(f"Input to output in total: {st.total_latency_s * 1000:.1f} ms; "
                                    f"worst block RTF {st.rtf_peak:.3f}")
        if st.error is not None:
            self._message(st.error)
            self._stop_live()
            self._set_live_button(False)
        elif not st.attached:  # the engine restarted (new device or rate): attach again
            self.set_engine(self._engine_src)

    # -- offline -------------------------------------------------------------------------------
    def set_source(self, audio_data: np.ndarray, samplerate: int, name: str) -> None:
        """The file or selection that "Enhance take" works on (kept, never modified)."""
        self.cancel()
        self._source = (audio_data, int(samplerate), str(name))
        self.enhanced = None
        self.ab_button.blockSignals(True)
        self.ab_button.setChecked(False)
        self.ab_button.setText("A/B: original")
        self.ab_button.blockSignals(False)
        secs = len(audio_data) / max(1, samplerate)
        ch = 1 if audio_data.ndim == 1 else audio_data.shape[1]
        self.source_label.setText(f"Source: {name}  ·  {secs:.2f} s  ·  {samplerate / 1000:g} kHz  ·  {ch} ch")
        self.progress.setValue(0)
        self._update_enabled()

    def enhance_take(self) -> int | None:
        if self._source is None or self._job is not None:
            return None
        if self._model_error is not None:
            self._message(self._model_error)
            return None
        data, sr, _name = self._source
        self._job = self.jobs.submit(enhance_offline, data, sr, self.model_path, self.params())
        self.progress.setValue(0)
        self._message("Enhancing…")
        self._update_enabled()
        return self._job

    def cancel(self) -> None:
        if self._job is not None:
            self.jobs.cancel(self._job)

    def _on_job_progress(self, job: int, fraction: float, _msg: str) -> None:
        if job == self._job:
            self.progress.setValue(int(fraction * 1000))

    def _on_job_finished(self, job: int, value) -> None:
        if job != self._job:
            return
        self._job = None
        self.progress.setValue(1000)
        self.enhanced = value
        _data, sr, name = self._source
        self._message(f"Enhanced take ready: {name} (enhanced); the original is kept")
        self._update_enabled()
        self.take_ready.emit(value, sr, f"{name} (enhanced)")
        self.ab_button.setChecked(True)

    def _on_job_failed(self, job: int, text: str) -> None:
        if job == self._job:
            self._job = None
            self.progress.setValue(0)
            self._message(f"Enhance failed: {text}")
            self._update_enabled()

    def _on_job_cancelled(self, job: int) -> None:
        if job == self._job:
            self._job = None
            self.progress.setValue(0)
            self._message("Enhance cancelled")
            self._update_enabled()

    def _on_ab_toggled(self, enhanced: bool) -> None:
        self.ab_button.setText("A/B: enhanced" if enhanced else "A/B: original")
        self.ab_changed.emit(bool(enhanced))

    # -- misc ----------------------------------------------------------------------------------
    def _message(self, text: str) -> None:
        self.message_label.setText(text)

    @property
    def message(self) -> str:
        return self.message_label.text()

    def _update_enabled(self) -> None:
        busy = self._job is not None
        ok_model = self._model_error is None
        self.enhance_button.setEnabled(self._source is not None and not busy and ok_model)
        self.cancel_button.setEnabled(busy)
        self.ab_button.setEnabled(self.enhanced is not None and not busy)
        self.live_button.setEnabled(ok_model)

    def shutdown(self) -> None:
        """Stop live processing and this panel's jobs (joins the threads); safe to call twice."""
        if getattr(self, "_timer", None) is not None:
            self._timer.stop()
        self._stop_live()
        self.cancel()
        own, self._own_jobs = self._own_jobs, None
        if own is not None:
            own.shutdown(wait=True)

    def closeEvent(self, ev) -> None:  # noqa: N802
        self.shutdown()
        super().closeEvent(ev)


def panel_for_host(host) -> EnhancePanel:
    """Build the panel for ``MainWindow`` and wire it (a ``PANELS`` factory).

    The window's loaded file becomes the source; an enhanced take is shown as a new in-memory
    take, and the A/B toggle swaps between it and the original without touching either.
    """
    from desktop_gan.io.audiofile import Audio

    panel = EnhancePanel(engine=getattr(host, "engine_link", None), jobs=getattr(host, "jobs", None), parent=host)
    state = {"orig": None, "enh": None, "own_shows": 0}

    def take_source(_path: str = "") -> None:
        if state["own_shows"]:
            state["own_shows"] -= 1
            return
        audio = host.document.audio
        if audio is not None:
            state["orig"], state["enh"] = audio, None
            panel.set_source(audio.data, audio.samplerate, audio.path.name if audio.path else "untitled")

    def show(audio) -> None:
        if audio is not None:
            state["own_shows"] += 1
            host.show_audio(audio)

    def on_take(data, sr, name) -> None:
        state["enh"] = Audio(np.asarray(data, np.float32).reshape(len(data), -1), sr, name=name)

    host.fileShown.connect(take_source)
    host.live_recorder = panel  # the window's Record button keeps raw + enhanced takes while live
    panel.take_ready.connect(on_take)
    panel.ab_changed.connect(lambda enhanced: show(state["enh"] if enhanced else state["orig"]))
    take_source()
    return panel
