"""Where things live: shipped resources, the user's data (models, takes, history) and config.

Functions, not constants: nothing is computed at import time, and every caller may pass its own
folder instead (tests do).
"""

from __future__ import annotations

import os
import sys
from pathlib import Path


def resources_dir() -> Path:
    """The shipped ``resources/`` folder: inside a frozen bundle, or beside the package."""
    frozen = getattr(sys, "_MEIPASS", None)
    candidates = []
    if frozen:
        candidates.append(Path(frozen) / "resources")
    here = Path(__file__).resolve()
    candidates += [here.parents[2] / "resources", here.parents[1] / "resources"]
    for c in candidates:
        if c.is_dir():
            return c
    return candidates[0]


def _xdg(var: str, default: str) -> Path:
    base = os.environ.get(var)
    return Path(base) if base else Path.home() / default


def user_data_dir() -> Path:
    return _xdg("XDG_DATA_HOME", ".local/share") / "desktop_gan"


def user_config_dir() -> Path:
    return _xdg("XDG_CONFIG_HOME", ".config") / "desktop_gan"


def model_dirs() -> list[Path]:
    """Folders searched for models: the shipped ones first, then the user's own (exports)."""
    return [resources_dir() / "models", user_data_dir() / "models"]


def shipped_model(name: str) -> Path:
    """Path of a shipped model's weights, e.g. ``shipped_model('enhancer')``."""
    return resources_dir() / "models" / f"{name}.safetensors"


def generated_data_dir() -> Path:
    """Where the project's own generated training data goes (rendered on first use).

    In a source checkout: ``data/`` at its root (the benchmarks read it there too); in an installed
    or bundled app: the user's data folder. Never the current directory, which for an app started
    from a desktop entry is the home folder.
    """
    root = Path(__file__).resolve().parents[2]
    if (root / "pyproject.toml").is_file() and (root / "desktop_gan").is_dir():
        return root / "data"
    return user_data_dir() / "training_data"
