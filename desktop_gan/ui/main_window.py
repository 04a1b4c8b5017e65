"""The main window: transport and device bars, waveform over spectrogram, panel tabs, status bar.

It wires widgets to the document (files and background view jobs) and to the engine link
(playback, recording, meters); it holds no audio or model logic itself. Every failure a user can
cause (bad file, no audio device, refused save) ends in a message, never in an exception.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Callable

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import QLabel, QMainWindow, QMessageBox, QSplitter, QTabWidget, QVBoxLayout, QWidget

from desktop_gan.core.params import AudioConfig
from desktop_gan.io.audiofile import Audio
from desktop_gan.ui.audio_link import EngineLink
from desktop_gan.ui.device_bar import DeviceBar
from desktop_gan.ui.document import Document
from desktop_gan.ui.file_actions import FileActions, paths_from_mime
from desktop_gan.ui.loader import Prepared
from desktop_gan.ui.playback import Playback
from desktop_gan.ui.settings import Settings
from desktop_gan.ui.spectrogram_view import SpectrogramView
from desktop_gan.ui.theme import DEFAULT, Theme
from desktop_gan.ui.transport import Transport
from desktop_gan.ui.waveform_view import WaveformView

ErrorSink = Callable[[str, str], None]


class MainWindow(QMainWindow):
    firstPainted = Signal()
    fileShown = Signal(str)  # both views have their data (spectrogram tiles may still arrive)
    viewsComplete = Signal()  # every spectrogram tile has arrived

    def __init__(self, settings: Settings, *, engine_link: EngineLink | None = None,
                 show_error: ErrorSink | None = None, panels: list | None = None,
                 theme: Theme = DEFAULT, start_audio: bool = True) -> None:
        super().__init__()
        self.settings = settings
        self.theme = theme
        self.engine_link = engine_link or EngineLink()
        self._show_error_fn = show_error
        self.error_boxes: list[QMessageBox] = []
        self._painted = False
        self.recovery = None  # the interrupted-takes offer, made after the first paint
        self._status_on_open: tuple[str, str] | None = None  # (path, message) for open_file(status=)
        self._start_audio_on_show = start_audio
        self._inference = None  # the InferenceWorker, started when a panel first needs a model
        self._jobs = None
        self.setWindowTitle("desktop_gan")
        self.setAcceptDrops(True)
        self._fit_to_screen()

        self.document = Document(self)
        self.transport = Transport(self, theme)
        self.device_bar = DeviceBar(self._initial_config(), theme, self)
        self.waveform = WaveformView(theme, self)
        self.spectrogram = SpectrogramView(theme, self)
        self.spectrogram.plot.setXLink(self.waveform.detail)
        self.panel_tabs = QTabWidget(self)
        self.panel_tabs.setDocumentMode(True)
        self._panel_factories: dict[int, Callable] = {}
        self._build_layout()
        self.files = FileActions(self, settings, self.open_file, self.save_as)
        self.files.install(self.menuBar())
        self._build_view_menu()
        self.addActions(self.transport.actions_list)
        self._build_status_bar()
        self.playback = Playback(self)
        self._add_panels(panels)
        self._wire()
        if settings.warning:
            self.status(settings.warning, 10000)

    # -- construction ---------------------------------------------------------------------
    def _fit_to_screen(self) -> None:
        screen = self.screen().availableGeometry() if self.screen() else None
        w, h = 1280, 800
        if screen is not None and screen.width() > 0:
            w, h = min(w, screen.width()), min(h, screen.height())
        self.resize(w, h)

    def _initial_config(self) -> AudioConfig:
        s = self.settings
        try:
            return AudioConfig(samplerate=int(s.get("samplerate", 48000)),
                               input_device=s.get("input_device"), output_device=s.get("output_device"))
        except (TypeError, ValueError):
            return AudioConfig()

    def _build_layout(self) -> None:
        central = QWidget(self)
        lay = QVBoxLayout(central)
        lay.setContentsMargins(6, 6, 6, 4)
        lay.setSpacing(6)
        lay.addWidget(self.transport)
        lay.addWidget(self.device_bar)
        self.splitter = QSplitter(Qt.Orientation.Vertical, central)
        self.splitter.setChildrenCollapsible(False)
        self.splitter.addWidget(self.waveform)
        self.splitter.addWidget(self.spectrogram)
        self.splitter.addWidget(self.panel_tabs)
        self.splitter.setStretchFactor(0, 3)
        self.splitter.setStretchFactor(1, 3)
        self.splitter.setStretchFactor(2, 2)
        lay.addWidget(self.splitter, 1)
        self.setCentralWidget(central)

    def _build_view_menu(self) -> None:
        menu = self.menuBar().addMenu("&View")
        for text, key, fn in (("Zoom In", "Ctrl+=", lambda: self.waveform.zoom(0.5)),
                              ("Zoom Out", "Ctrl+-", lambda: self.waveform.zoom(2.0)),
                              ("Zoom to Fit", "Ctrl+0", lambda: self.waveform.set_x_range(0, self.waveform.duration)),
                              ("Zoom to Selection", "Ctrl+E", self._zoom_selection)):
            act = menu.addAction(text, fn)
            act.setShortcut(key)
        menu.addSeparator()
        self.clear_selection_action = menu.addAction("Clear Selection", lambda: self.waveform.set_selection(None))
        self.clear_selection_action.setShortcut("Escape")
        transport = self.menuBar().addMenu("&Transport")
        for act in self.transport.actions_list:
            transport.addAction(act)

    def _build_status_bar(self) -> None:
        sb = self.statusBar()
        sb.setSizeGripEnabled(False)
        self.device_label = QLabel("Audio: starting…", self)
        self.rate_label = QLabel("", self)
        self.latency_label = QLabel("", self)
        self.xrun_label = QLabel("", self)
        for w in (self.device_label, self.rate_label, self.latency_label, self.xrun_label):
            sb.addPermanentWidget(w)

    def _add_panels(self, panels: list | None) -> None:
        if panels is None:
            from desktop_gan.ui.panels import PANELS

            panels = PANELS
        for title, factory in panels:
            idx = self.panel_tabs.addTab(QWidget(self.panel_tabs), title)
            self._panel_factories[idx] = factory
        self.panel_tabs.setVisible(self.panel_tabs.count() > 0)
        self.panel_tabs.currentChanged.connect(self._build_panel)

    def _build_panel(self, index: int) -> None:
        factory = self._panel_factories.pop(index, None)
        if factory is None or not self._painted:
            if factory is not None:
                self._panel_factories[index] = factory
            return
        try:
            widget = factory(self)
        except Exception as exc:  # a broken panel must not take the window down
            widget = QLabel(f"This panel could not be loaded:\n{type(exc).__name__}: {exc}")
            widget.setAlignment(Qt.AlignmentFlag.AlignCenter)
        title = self.panel_tabs.tabText(index)
        self.panel_tabs.blockSignals(True)
        self.panel_tabs.removeTab(index)
        self.panel_tabs.insertTab(index, widget, title)
        self.panel_tabs.setCurrentIndex(index)
        self.panel_tabs.blockSignals(False)

    def _wire(self) -> None:
        d = self.document
        d.loading.connect(lambda p: self.status(f"Loading {Path(p).name}…"))
        d.progress.connect(lambda f, msg: self.status(f"{msg} {int(f * 100)}%" if msg else ""))
        d.loaded.connect(self._on_loaded)
        d.loadFailed.connect(self._on_load_failed)
        d.tilesPlanned.connect(lambda sr, params, n, pool: self.spectrogram.begin(
            sr, params, n, self.waveform.duration, pool))
        d.tileReady.connect(self.spectrogram.add_tile)
        d.tilesDone.connect(self._on_tiles_done)
        d.saved.connect(self._on_saved)
        d.saveFailed.connect(lambda p, msg: self.show_error("Could not save", msg))
        self.waveform.selectionChanged.connect(self._on_selection)
        self.waveform.seekRequested.connect(self.playback.seek_seconds)
        self.spectrogram.seekRequested.connect(self.playback.seek_seconds)
        self.spectrogram.selecting.connect(self.waveform._on_selecting)
        self.device_bar.configChanged.connect(self._on_config_changed)

    # -- host API (panels and tests use these) ------------------------------------------------
    @property
    def jobs(self):
        """QtJobs over the one InferenceWorker that owns torch and the models (started lazily,
        so neither torch nor its thread is on the path to the first window)."""
        if self._jobs is None:
            from desktop_gan.workers.jobs import InferenceWorker
            from desktop_gan.workers.qt_bridge import QtJobs

            self._inference = InferenceWorker().start()
            self._jobs = QtJobs(self._inference, self)
        return self._jobs

    def status(self, message: str, timeout_ms: int = 5000) -> None:
        self.statusBar().showMessage(message, timeout_ms)

    def show_error(self, title: str, text: str) -> None:
        """Report a problem without blocking: an injected sink, or a window-modal QMessageBox."""
        self.status(text, 10000)
        if self._show_error_fn is not None:
            self._show_error_fn(title, text)
            return
        box = QMessageBox(QMessageBox.Icon.Warning, title, title, QMessageBox.StandardButton.Ok, self)
        box.setInformativeText(text)  # the title repeats as the headline: a dialog may have no title bar
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.finished.connect(lambda _r, b=box: self.error_boxes.remove(b) if b in self.error_boxes else None)
        self.error_boxes.append(box)
        box.open()

    def open_file(self, path: str | Path, status: str | None = None) -> None:
        """Open ``path`` in the views; ``status`` replaces the usual "Opened …" once it is shown
        (e.g. where a take was saved or recovered)."""
        self._status_on_open = (str(path), status) if status else None
        self.document.open(path)

    def show_audio(self, audio: Audio) -> None:
        self.document.show_audio(audio)

    def save_as(self, path: str | Path | None = None) -> None:
        if self.document.audio is None:
            self.status("Nothing to save: open or record something first")
            return
        overwrite = False
        if path is None:
            path = self.files.save_dialog(self.document.path)
            if path is None:
                return
            overwrite = True  # the dialog has asked; save_audio still refuses the source file
        self.document.save_as(path, overwrite=overwrite)

    # -- document events ----------------------------------------------------------------------
    def _on_loaded(self, prepared: Prepared) -> None:
        a = prepared.audio
        name = a.path.name if a.path else (a.name or "untitled")
        # Spread over event-loop turns so no single frame does it all: the waveform first, then
        # the spectrogram plan, then the player hand-over and the recent-files write.
        self.waveform.set_pyramid(prepared.pyramid, a.samplerate)
        self.spectrogram.clear()
        QTimer.singleShot(0, lambda: self._start_spectrogram(prepared))
        self.playback.audio_loaded(a)
        ch = {1: "mono", 2: "stereo"}.get(a.channels, f"{a.channels} ch")
        detail = f"{a.samplerate / 1000:g} kHz · {ch} · {a.subtype or 'audio'} · {a.duration:.2f} s"
        self.transport.set_file(name, detail)
        self.setWindowTitle(f"{name} — desktop_gan")
        self.files.save_as_action.setEnabled(True)
        if a.path is not None:
            QTimer.singleShot(0, lambda: self.settings.add_recent(a.path))
        pending, self._status_on_open = self._status_on_open, None
        if pending is not None and pending[0] == str(a.path):
            self.status(pending[1], 10000)
        else:
            self.status(f"Opened {name}", 3000)
        self.fileShown.emit(str(a.path or ""))

    def _start_spectrogram(self, prepared: Prepared) -> None:
        if self.document.current is prepared:
            self.document.start_tiles(self.waveform.x_range(), self.spectrogram.lut)

    def _on_load_failed(self, path: str, message: str) -> None:
        if path and not Path(path).exists():
            self.settings.remove_recent(path)
        self.show_error("Could not open file", message)

    def _on_tiles_done(self) -> None:
        if self.spectrogram.complete:
            self.viewsComplete.emit()

    def _on_saved(self, path: str) -> None:
        self.settings.add_recent(path)
        self.status(f"Saved {Path(path).name}", 5000)

    def _on_selection(self, sel) -> None:
        self.spectrogram.set_selection(sel)
        self.playback.selection_changed(sel)

    def _zoom_selection(self) -> None:
        sel = self.waveform.selection
        if sel:
            self.waveform.set_x_range(*sel)

    # -- audio --------------------------------------------------------------------------------
    def _on_config_changed(self, config: AudioConfig) -> None:
        self.settings.set("samplerate", config.samplerate)
        self.settings.set("input_device", config.input_device)
        self.settings.set("output_device", config.output_device)
        self.playback.restart_audio(config)

    def update_audio_status(self, stats=None) -> None:
        link = self.engine_link
        if not link.running or stats is None:
            self.device_label.setText(f"No audio: {link.error}" if link.error else "Audio: stopped")
            self.device_label.setToolTip(link.error or "")
            for w in (self.rate_label, self.latency_label, self.xrun_label):
                w.setText("")
            return
        self.device_label.setText(f"In: {stats.input_name}  ·  Out: {stats.output_name}")
        self.rate_label.setText(f"{stats.samplerate / 1000:g} kHz")
        self.latency_label.setText(f"Latency in {stats.input_latency_s * 1000:.1f} ms · "
                                   f"out {stats.output_latency_s * 1000:.1f} ms")
        self.xrun_label.setText(f"Underruns {stats.underruns} · Overruns {stats.overruns}")
        if stats.error:
            self.device_label.setText(f"Audio error: {stats.error}")

    # -- Qt events ----------------------------------------------------------------------------
    def paintEvent(self, ev) -> None:  # noqa: N802
        super().paintEvent(ev)
        if not self._painted:
            self._painted = True
            self.firstPainted.emit()
            QTimer.singleShot(0, self._after_first_paint)

    def _after_first_paint(self) -> None:
        if self._start_audio_on_show:
            self.playback.restart_audio(self.device_bar.config)
        else:
            self.engine_link.error = "audio is off"
            self.playback.poll_stats()
        self._build_panel(self.panel_tabs.currentIndex())
        QTimer.singleShot(0, self._offer_recovery)

    def _offer_recovery(self) -> None:
        from desktop_gan.ui.recovery import RecoveryOffer

        self.recovery = RecoveryOffer(self)
        self.recovery.check()

    def dragEnterEvent(self, ev) -> None:  # noqa: N802
        if paths_from_mime(ev.mimeData()):
            ev.acceptProposedAction()
        else:
            ev.ignore()

    def dragMoveEvent(self, ev) -> None:  # noqa: N802
        self.dragEnterEvent(ev)

    def dropEvent(self, ev) -> None:  # noqa: N802
        paths = paths_from_mime(ev.mimeData())
        if not paths:
            ev.ignore()
            return
        ev.acceptProposedAction()
        if len(paths) > 1:
            self.status(f"Opening {paths[0].name} ({len(paths) - 1} more dropped files ignored)")
        self.open_file(paths[0])

    def built_panels(self) -> list[QWidget]:
        return [self.panel_tabs.widget(i) for i in range(self.panel_tabs.count()) if i not in self._panel_factories]

    def closeEvent(self, ev) -> None:  # noqa: N802
        panels = self.built_panels()
        for panel in panels:
            ask = getattr(panel, "on_app_close", None)
            if ask is not None and ask() is False:  # e.g. a training run the user keeps open
                ev.ignore()
                return
        self.shutdown()
        super().closeEvent(ev)

    def shutdown(self) -> None:
        """Stop panels, audio and every worker thread (Qt aborts if a thread outlives the app).
        Safe to call more than once; ``run_app`` calls it again after the event loop ends."""
        for panel in self.built_panels():
            stop = getattr(panel, "shutdown", None)
            if stop is not None:
                try:
                    stop()
                except Exception as exc:  # closing must go on
                    print(f"desktop-gan: panel shutdown failed: {exc}", file=sys.stderr)
        self.playback.shutdown()
        self.document.shutdown()
        if self._inference is not None:
            self._inference.shutdown(wait=True)

