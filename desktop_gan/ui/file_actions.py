"""File menu (Open, Open Recent, Save As, Quit), file dialogs and drag-and-drop of files.

The actions call back into the window (``open_file``/``save_as``); dialogs are only shown when no
path is given, so tests drive the same code paths without modal dialogs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from PySide6.QtCore import QMimeData, QObject
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFileDialog, QMenu, QMenuBar, QWidget

from desktop_gan.io.audiofile import READ_EXTENSIONS, WRITE_FORMATS
from desktop_gan.ui.settings import Settings


def open_filter() -> str:
    pattern = " ".join(f"*{e}" for e in READ_EXTENSIONS)
    return f"Audio files ({pattern});;All files (*)"


def save_filter() -> str:
    return ";;".join(f"{fmt} (*{ext})" for ext, (fmt, _sub) in WRITE_FORMATS.items())


def paths_from_mime(mime: QMimeData) -> list[Path]:
    """Local files among dropped URLs (folders and remote URLs are ignored)."""
    if not mime.hasUrls():
        return []
    out = []
    for url in mime.urls():
        if url.isLocalFile():
            p = Path(url.toLocalFile())
            if not p.is_dir():
                out.append(p)
    return out


class FileActions(QObject):
    def __init__(self, parent: QWidget, settings: Settings, open_file: Callable[[str], None],
                 save_as: Callable[[str | None], None]) -> None:
        super().__init__(parent)
        self.window = parent
        self.settings = settings
        self._open_file = open_file
        self.open_action = QAction("&Open…", parent)
        self.open_action.setShortcut(QKeySequence.StandardKey.Open)
        self.open_action.triggered.connect(lambda: self.open_dialog())
        self.save_as_action = QAction("Save &As…", parent)
        self.save_as_action.setShortcut(QKeySequence("Ctrl+Shift+S"))
        self.save_as_action.triggered.connect(lambda: save_as(None))
        self.save_as_action.setEnabled(False)
        self.quit_action = QAction("&Quit", parent)
        self.quit_action.setShortcut(QKeySequence.StandardKey.Quit)
        self.quit_action.triggered.connect(parent.close)
        self.takes_action = QAction("Takes &Folder…", parent)
        self.takes_action.triggered.connect(lambda: self.choose_takes_dir())
        self.recent_menu = QMenu("Open &Recent", parent)
        self.recent_menu.aboutToShow.connect(self.refresh_recent)

    def install(self, menubar: QMenuBar) -> QMenu:
        menu = menubar.addMenu("&File")
        menu.addAction(self.open_action)
        menu.addMenu(self.recent_menu)
        menu.addSeparator()
        menu.addAction(self.save_as_action)
        menu.addAction(self.takes_action)
        menu.addSeparator()
        menu.addAction(self.quit_action)
        self.refresh_recent()
        return menu

    def refresh_recent(self) -> None:
        self.recent_menu.clear()
        recent = self.settings.recent_files
        for i, path in enumerate(recent):
            act = self.recent_menu.addAction(f"&{(i + 1) % 10}  {Path(path).name}")
            act.setToolTip(path)
            act.setStatusTip(path)
            act.triggered.connect(lambda _=False, p=path: self._open_file(p))
        if recent:
            self.recent_menu.addSeparator()
            self.recent_menu.addAction("Clear list", self._clear_recent)
        else:
            self.recent_menu.addAction("(no recent files)").setEnabled(False)

    def _clear_recent(self) -> None:
        self.settings.clear_recent()
        self.refresh_recent()

    def open_dialog(self) -> None:
        start = str(Path(self.settings.recent_files[0]).parent) if self.settings.recent_files else ""
        path, _ = QFileDialog.getOpenFileName(self.window, "Open audio", start, open_filter())
        if path:
            self._open_file(path)

    def choose_takes_dir(self, folder: str | None = None) -> None:
        """Where recorded takes go (asked with a folder dialog when ``folder`` is None)."""
        if folder is None:
            folder = QFileDialog.getExistingDirectory(self.window, "Folder for recorded takes",
                                                      str(self.settings.takes_dir))
        if folder:
            self.settings.takes_dir = folder
            self.takes_action.setStatusTip(f"Takes go to {folder}")

    def save_dialog(self, suggested: Path | None) -> str | None:
        start = ""
        if suggested is not None:
            start = str(suggested.with_name(f"{suggested.stem}-copy.wav"))
        path, chosen = QFileDialog.getSaveFileName(self.window, "Save audio as", start, save_filter())
        if not path:
            return None
        if Path(path).suffix.lower() not in WRITE_FORMATS:
            path += ".flac" if chosen.startswith("FLAC") else ".wav"
        return path
