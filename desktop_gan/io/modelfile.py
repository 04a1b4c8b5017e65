"""Model files: safetensors weights with a JSON config beside them. Data only, never code.

A model is a pair ``NAME.safetensors`` + ``NAME.json``. The JSON holds ``kind``, ``format_version``,
the architecture config, sample rate/hop/latency where they apply, the training record, and the
SHA-256 of the weights file. Loading checks all of it and raises ``ModelFileError`` with a message
for the user; pickles (``.pt``, ``.ckpt``, ``.pkl``) are refused before any byte is parsed.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
from safetensors import SafetensorError
from safetensors.numpy import load as st_load_bytes
from safetensors.numpy import save as st_save_bytes

FORMAT_VERSION = 1
PICKLE_SUFFIXES = {".pt", ".pth", ".ckpt", ".pkl", ".pickle", ".bin", ".tar"}


class ModelFileError(Exception):
    """A model file could not be used; the message is meant for the user."""


def _pair(path: str | os.PathLike) -> tuple[Path, Path]:
    p = Path(path)
    if p.suffix.lower() in PICKLE_SUFFIXES:
        raise ModelFileError(
            f"{p.name}: {p.suffix} files may contain code and are never loaded; "
            "use a .safetensors model with its .json config"
        )
    if p.suffix.lower() == ".json":
        return p.with_suffix(".safetensors"), p
    if p.suffix.lower() != ".safetensors":
        p = p.with_suffix(".safetensors") if not p.suffix else p
        if p.suffix.lower() != ".safetensors":
            raise ModelFileError(f"{p.name}: not a model file (expected .safetensors + .json)")
    return p, p.with_suffix(".json")


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _atomic_write_bytes(path: Path, payload: bytes) -> None:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise


def save_model(path: str | os.PathLike, tensors: dict[str, np.ndarray], config: dict[str, Any]) -> Path:
    """Write weights and config atomically; the config gets the weights' hash and shapes."""
    weights, cfg_path = _pair(path)
    weights.parent.mkdir(parents=True, exist_ok=True)
    arrays = {k: np.ascontiguousarray(v) for k, v in tensors.items()}
    payload = st_save_bytes(arrays)
    config = dict(config)
    config["format_version"] = FORMAT_VERSION
    config["sha256"] = hashlib.sha256(payload).hexdigest()
    config["tensors"] = {k: list(v.shape) for k, v in arrays.items()}
    _atomic_write_bytes(weights, payload)
    _atomic_write_bytes(cfg_path, (json.dumps(config, indent=2, sort_keys=True) + "\n").encode())
    return weights


def load_model(path: str | os.PathLike, kind: str | None = None) -> tuple[dict[str, np.ndarray], dict]:
    """Load and verify a model pair; returns (tensors, config)."""
    weights, cfg_path = _pair(path)
    if not weights.exists():
        raise ModelFileError(f"{weights.name}: model weights not found")
    if not cfg_path.exists():
        raise ModelFileError(f"{weights.name}: its config {cfg_path.name} is missing")
    try:
        config = json.loads(cfg_path.read_text())
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{cfg_path.name}: config is not valid JSON ({exc})") from None
    if not isinstance(config, dict):
        raise ModelFileError(f"{cfg_path.name}: config must be a JSON object")
    version = config.get("format_version")
    if not isinstance(version, int):
        raise ModelFileError(f"{cfg_path.name}: config has no format_version")
    if version > FORMAT_VERSION:
        raise ModelFileError(
            f"{weights.name}: made by a newer desktop_gan (format {version}, this app reads up to "
            f"{FORMAT_VERSION}); update the app"
        )
    if kind is not None and config.get("kind") != kind:
        raise ModelFileError(f"{weights.name}: is a {config.get('kind')!r} model, expected {kind!r}")
    payload = weights.read_bytes()
    expected = config.get("sha256")
    if not expected:
        raise ModelFileError(f"{cfg_path.name}: config has no sha256 for its weights")
    if hashlib.sha256(payload).hexdigest() != expected:
        raise ModelFileError(f"{weights.name}: checksum mismatch (file damaged or replaced)")
    try:
        tensors = st_load_bytes(payload)
    except (SafetensorError, ValueError, Exception) as exc:
        raise ModelFileError(f"{weights.name}: not a valid safetensors file ({exc})") from None
    shapes = config.get("tensors")
    if isinstance(shapes, dict):
        if set(shapes) != set(tensors):
            missing = sorted(set(shapes) ^ set(tensors))[:3]
            raise ModelFileError(f"{weights.name}: tensors do not match the config ({', '.join(missing)})")
        for name, shape in shapes.items():
            if list(tensors[name].shape) != list(shape):
                raise ModelFileError(
                    f"{weights.name}: tensor {name} has shape {list(tensors[name].shape)}, config says {shape}"
                )
    return tensors, config


def read_config(path: str | os.PathLike) -> dict:
    """Read only the JSON config (for model lists); raises ModelFileError when unreadable."""
    _, cfg_path = _pair(path)
    try:
        return json.loads(cfg_path.read_text())
    except (OSError, json.JSONDecodeError) as exc:
        raise ModelFileError(f"{cfg_path.name}: unreadable config ({exc})") from None
