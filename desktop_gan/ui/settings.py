"""The window's persisted settings: recent files, takes folder, device choice (a JSON file).

A corrupted file is set aside by ``io.jsonstore`` and reported through ``warning``; the app
starts with defaults. Nothing is read at import time; the path is always passed in or derived
from ``io.paths.user_config_dir()`` when the window is built.
"""

from __future__ import annotations

from pathlib import Path

from desktop_gan.io.jsonstore import load_json, save_json

MAX_RECENT = 10


def default_takes_dir() -> Path:
    """~/Music/desktop_gan/takes, or the platform's music folder via QStandardPaths."""
    from PySide6.QtCore import QStandardPaths

    music = QStandardPaths.writableLocation(QStandardPaths.MusicLocation)
    base = Path(music) if music else Path.home() / "Music"
    return base / "desktop_gan" / "takes"


class Settings:
    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)
        data, self.warning = load_json(self.path, {})
        self._data: dict = data if isinstance(data, dict) else {}

    # -- recent files --------------------------------------------------------------------
    @property
    def recent_files(self) -> list[str]:
        items = self._data.get("recent_files", [])
        return [str(x) for x in items if isinstance(x, str)][:MAX_RECENT]

    def add_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        items = [x for x in self.recent_files if x != p]
        self._data["recent_files"] = [p, *items][:MAX_RECENT]
        self.save()

    def remove_recent(self, path: str | Path) -> None:
        p = str(Path(path).resolve())
        self._data["recent_files"] = [x for x in self.recent_files if x != p]
        self.save()

    def clear_recent(self) -> None:
        self._data["recent_files"] = []
        self.save()

    # -- takes and devices ----------------------------------------------------------------
    @property
    def takes_dir(self) -> Path:
        value = self._data.get("takes_dir")
        return Path(value) if isinstance(value, str) and value else default_takes_dir()

    @takes_dir.setter
    def takes_dir(self, path: str | Path) -> None:
        self._data["takes_dir"] = str(path)
        self.save()

    def get(self, key: str, default=None):
        return self._data.get(key, default)

    def set(self, key: str, value) -> None:
        self._data[key] = value
        self.save()

    def save(self) -> None:
        try:
            save_json(self.path, self._data)
        except OSError as exc:  # a read-only config dir must not break the app
            self.warning = f"settings could not be saved ({exc})"
