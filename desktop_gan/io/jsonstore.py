"""Small JSON documents the app keeps (settings, history, favourites): atomic writes, and a
corrupted file is set aside (renamed ``*.corrupt-<time>``) with a warning instead of stopping the app."""

from __future__ import annotations

import json
import os
import tempfile
import time
from pathlib import Path
from typing import Any


def load_json(path: str | os.PathLike, default: Any) -> tuple[Any, str | None]:
    """Return (data, warning). A missing file gives ``default`` and no warning; an unreadable or
    corrupted one is renamed aside and gives ``default`` and a warning naming where it went."""
    path = Path(path)
    if not path.exists():
        return default, None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        if default is not None and not isinstance(data, type(default)):
            raise ValueError(f"expected a JSON {type(default).__name__}")
        return data, None
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        aside = path.with_name(f"{path.name}.corrupt-{time.strftime('%Y%m%d-%H%M%S')}")
        try:
            os.replace(path, aside)
            where = f"moved to {aside.name}"
        except OSError:
            where = "left in place"
        return default, f"{path.name} was unreadable ({exc}); {where}, starting fresh"


def save_json(path: str | os.PathLike, data: Any) -> Path:
    """Write atomically (temporary file in the same folder, fsync, rename)."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(data, fh, indent=1, sort_keys=True)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path
