"""Which tasks can be trained, how to build them, and where trained models are found.

Tasks are named by string and imported only when used, so listing them costs nothing and this
module works before a task's module exists:

- ``make_task('enhancer', clean_dir=..., noise_dir=..., from_model=...)``
- ``make_task('drums', data_dir=..., from_model=...)``
- ``make_task('pkg.module:Class', **kwargs)`` for any other GanTask (tests use a toy task this way).

``DATA_ARGS`` lists each task's data folders (constructor keyword, CLI flag, label) so the CLI, the
dataset scan and the Training panel all ask for the same things. A task class may declare its own
``data_args`` attribute in the same shape.

``find_models(kind)`` lists the model files the app offers: the shipped ones (``resources/models``),
the user's own (``<user data>/models``) and, when a runs folder is given, finished runs' exports.
``install_model(export)`` copies an export into the user's models folder.
"""

from __future__ import annotations

import importlib
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

TASKS: dict[str, str] = {
    "enhancer": "desktop_gan.training.enhancer_task:EnhancerTask",
    "drums": "desktop_gan.training.drums_task:DrumsTask",
}

# task -> [(constructor keyword, CLI flag, label)]
DATA_ARGS: dict[str, list[tuple[str, str, str]]] = {
    "enhancer": [("clean_dir", "--clean", "Clean speech folder"), ("noise_dir", "--noise", "Noise folder")],
    "drums": [("data_dir", "--data", "One-shots folder (one subfolder per kind)")],
}

# the shortest usable file per task, for the dataset scan (seconds)
MIN_SECONDS: dict[str, float] = {"enhancer": 0.25, "drums": 0.02}


class TaskError(Exception):
    """A task name or path could not be resolved to a GanTask class."""


def resolve_task(name: str):
    """The task class for a registered name or a ``module:Class`` path."""
    target = TASKS.get(name, name)
    if ":" not in target:
        raise TaskError(f"unknown task {name!r}; known: {', '.join(sorted(TASKS))} (or give module:Class)")
    module_name, _, attr = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise TaskError(f"task {name!r}: cannot import {module_name} ({exc})") from exc
    try:
        return getattr(module, attr)
    except AttributeError:
        raise TaskError(f"task {name!r}: {module_name} has no {attr}") from None


def available_tasks() -> list[str]:
    """Registered task names whose module can be imported now."""
    out = []
    for name in TASKS:
        try:
            resolve_task(name)
            out.append(name)
        except TaskError:
            pass
    return out


def data_args(name: str) -> list[tuple[str, str, str]]:
    if name in DATA_ARGS:
        return list(DATA_ARGS[name])
    try:
        return list(getattr(resolve_task(name), "data_args", []))
    except TaskError:
        return []


def task_kind(name: str) -> str:
    """The short kind of a task (its ``name`` attribute) without building it."""
    if name in TASKS:
        return name
    return str(getattr(resolve_task(name), "name", name.rpartition(":")[2].lower()))


def make_task(name: str, **kwargs: Any):
    """Build a task; ``None`` values are left out so each task uses its own defaults."""
    cls = resolve_task(name)
    return cls(**{k: v for k, v in kwargs.items() if v is not None})


# -- models ---------------------------------------------------------------------------------------
@dataclass
class ModelEntry:
    path: Path  # the .safetensors file
    kind: str
    source: str  # 'shipped' | 'user' | 'run'
    config: dict


def _scan(folder: Path, kind: str | None, source: str, pattern: str = "*.safetensors") -> list[ModelEntry]:
    from desktop_gan.io.modelfile import ModelFileError, read_config

    out = []
    if not folder.is_dir():
        return out
    for p in sorted(folder.glob(pattern)):
        try:
            cfg = read_config(p)
        except ModelFileError:
            continue
        if not isinstance(cfg, dict) or (kind is not None and cfg.get("kind") != kind):
            continue
        out.append(ModelEntry(p, str(cfg.get("kind", "")), source, cfg))
    return out


def find_models(kind: str | None = None, dirs: list[Path] | None = None, runs_dir: Path | None = None) -> list[ModelEntry]:
    """Models of ``kind`` (all kinds when None): shipped, then user's, then runs' exports."""
    from desktop_gan.io.paths import model_dirs

    folders = [Path(d) for d in dirs] if dirs is not None else model_dirs()
    out: list[ModelEntry] = []
    for i, folder in enumerate(folders):
        out += _scan(folder, kind, "shipped" if (dirs is None and i == 0) else "user")
    if runs_dir is not None and Path(runs_dir).is_dir():
        for run in sorted(Path(runs_dir).iterdir()):
            out += _scan(run / "export", kind, "run")
    return out


def install_model(export: Path, dest_dir: Path | None = None, name: str | None = None) -> Path:
    """Copy an exported model pair into the user's models folder; returns the new weights path."""
    from desktop_gan.io.modelfile import load_model
    from desktop_gan.io.paths import user_data_dir

    export = Path(export).with_suffix(".safetensors")
    _, cfg = load_model(export)  # refuse to install something that does not load
    dest_dir = Path(dest_dir) if dest_dir else user_data_dir() / "models"
    dest_dir.mkdir(parents=True, exist_ok=True)
    stem = name or export.stem
    target = dest_dir / f"{stem}.safetensors"
    n = 1
    while target.exists() or target.with_suffix(".json").exists():
        n += 1
        target = dest_dir / f"{stem}-{n}.safetensors"
    shutil.copyfile(export, target.with_suffix(".safetensors.part"))
    shutil.copyfile(export.with_suffix(".json"), target.with_suffix(".json.part"))
    target.with_suffix(".safetensors.part").replace(target)
    target.with_suffix(".json.part").replace(target.with_suffix(".json"))
    return target
