"""Training checkpoints: our own files, still never unpickled.

A checkpoint at step N is a pair in ``RUN_DIR/checkpoints/``:

- ``step_000000N.safetensors``: every tensor — module weights and buffers (``module/<role>/<name>``)
  and optimiser state tensors flattened by key path (``optim/<role>/state/<param index>/<key>``);
- ``step_000000N.json``: the rest — step, task config, optimiser param groups and scalar state,
  scheduler state, RNG states (python, numpy, torch, cuda) as plain lists, free ``extra`` data,
  and the SHA-256 of the weights file.

Both files are written atomically (temporary file in the same folder, fsync, ``os.replace``, fsync
of the folder), weights first; the JSON, written last, is what makes a checkpoint *complete*. A kill
at any moment therefore leaves either the new complete pair or the previous one: ``latest()`` returns
the newest pair whose JSON parses and whose hash matches. The newest ``keep`` (default 2) complete
checkpoints are kept, and every one from step ``keep_from`` on when that is given (the trainer's
weight average reads them); older ones and stray ``.part`` files are removed after each write.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

FORMAT = "desktop_gan.checkpoint"
FORMAT_VERSION = 1
_NAME = re.compile(r"^step_(\d{8,})\.json$")


class CheckpointError(Exception):
    """A checkpoint could not be written or read; the message says which file and why."""


@dataclass
class Checkpoint:
    step: int
    path: Path  # the JSON file
    meta: dict
    tensors: dict  # name -> torch.Tensor


# -- atomic file writes ---------------------------------------------------------------------------
def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:  # not possible on every platform (Windows); the rename is still atomic
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def atomic_write(path: Path, payload: bytes) -> None:
    """Write ``payload`` to ``path`` so that readers see the old file or the whole new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
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
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, data: Any) -> None:
    atomic_write(path, (json.dumps(data, indent=1, sort_keys=True) + "\n").encode("utf-8"))


# -- RNG states as JSON ---------------------------------------------------------------------------
def rng_state() -> dict:
    import torch

    py = random.getstate()
    kind, keys, pos, has_gauss, cached = np.random.get_state()
    out = {
        "python": [py[0], list(py[1]), py[2]],
        "numpy": [kind, keys.tolist(), int(pos), int(has_gauss), float(cached)],
        "torch": torch.get_rng_state().tolist(),
    }
    if torch.cuda.is_available() and torch.cuda.is_initialized():
        out["cuda"] = [s.tolist() for s in torch.cuda.get_rng_state_all()]
    return out


def set_rng_state(state: dict) -> None:
    import torch

    py = state["python"]
    random.setstate((py[0], tuple(py[1]), py[2]))
    kind, keys, pos, has_gauss, cached = state["numpy"]
    np.random.set_state((kind, np.asarray(keys, dtype=np.uint32), pos, has_gauss, cached))
    torch.set_rng_state(torch.tensor(state["torch"], dtype=torch.uint8))
    if "cuda" in state and torch.cuda.is_available():
        states = [torch.tensor(s, dtype=torch.uint8) for s in state["cuda"]]
        if len(states) == torch.cuda.device_count():
            torch.cuda.set_rng_state_all(states)


# -- state dicts <-> (tensors, JSON) --------------------------------------------------------------
def _jsonable(value: Any, where: str) -> Any:
    if isinstance(value, (bool, int, float, str)) or value is None:
        return value
    if isinstance(value, (list, tuple)):
        return [_jsonable(v, where) for v in value]
    if isinstance(value, dict):
        return {str(k): _jsonable(v, f"{where}.{k}") for k, v in value.items()}
    if isinstance(value, np.generic):
        return value.item()
    raise CheckpointError(f"{where}: a {type(value).__name__} cannot be stored in a checkpoint")


def optimiser_to_parts(role: str, opt) -> tuple[dict, dict]:
    """Split an optimiser's state dict into tensors (by key path) and JSON-able data."""
    import torch

    sd = opt.state_dict()
    tensors, scalars = {}, {}
    for idx, st in sd["state"].items():
        for key, val in st.items():
            if isinstance(val, torch.Tensor):
                tensors[f"optim/{role}/state/{idx}/{key}"] = val.detach().cpu().contiguous()
            else:
                scalars.setdefault(str(idx), {})[key] = _jsonable(val, f"optim {role} {key}")
    groups = _jsonable(sd["param_groups"], f"optim {role} param_groups")
    return tensors, {"param_groups": groups, "scalars": scalars}


def optimiser_from_parts(role: str, opt, tensors: dict, meta: dict) -> None:
    prefix = f"optim/{role}/state/"
    state: dict[int, dict] = {}
    for name, t in tensors.items():
        if name.startswith(prefix):
            idx, key = name[len(prefix):].split("/", 1)
            state.setdefault(int(idx), {})[key] = t
    for idx, st in meta.get("scalars", {}).items():
        state.setdefault(int(idx), {}).update(st)
    groups = meta["param_groups"]
    for g in groups:  # JSON turned tuples (betas) into lists
        for k, v in list(g.items()):
            if isinstance(v, list) and k != "params":
                g[k] = tuple(v)
    opt.load_state_dict({"state": state, "param_groups": groups})


def _unwrap(module):
    return getattr(module, "module", module)


def save_checkpoint(run_dir: Path, step: int, modules: dict, optimisers: dict, schedulers: dict,
                    config: dict, extra: dict | None = None, keep: int = 2, keep_from: int | None = None) -> Path:
    """Write the step-N checkpoint atomically and prune older ones; returns the JSON path."""
    from safetensors.torch import save as st_save

    folder = Path(run_dir) / "checkpoints"
    folder.mkdir(parents=True, exist_ok=True)
    tensors = {}
    for role, mod in modules.items():
        for name, t in _unwrap(mod).state_dict().items():
            tensors[f"module/{role}/{name}"] = t.detach().cpu().contiguous()
    optim_meta = {}
    for role, opt in optimisers.items():
        t, m = optimiser_to_parts(role, opt)
        tensors.update(t)
        optim_meta[role] = m
    payload = st_save(tensors)
    stem = f"step_{int(step):08d}"
    weights = folder / f"{stem}.safetensors"
    atomic_write(weights, payload)
    meta = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "step": int(step),
        "weights": weights.name, "sha256": hashlib.sha256(payload).hexdigest(),
        "config": _jsonable(config, "config"), "optimisers": optim_meta,
        "schedulers": {r: _jsonable(s.state_dict(), f"scheduler {r}") for r, s in schedulers.items()},
        "rng": rng_state(), "extra": _jsonable(extra or {}, "extra"),
    }
    path = folder / f"{stem}.json"
    atomic_write_json(path, meta)
    _prune(folder, keep, keep_from)
    return path


def _complete(folder: Path) -> list[tuple[int, Path]]:
    found = []
    if folder.is_dir():
        for p in folder.iterdir():
            m = _NAME.match(p.name)
            if m:
                found.append((int(m.group(1)), p))
    return sorted(found, reverse=True)


def _prune(folder: Path, keep: int, keep_from: int | None = None) -> None:
    for step, json_path in _complete(folder)[max(1, keep):]:
        if keep_from is not None and step >= keep_from:
            continue
        for p in (json_path.with_suffix(".safetensors"), json_path):
            try:
                p.unlink()
            except OSError:
                pass
    live = {p.with_suffix(".safetensors").name for _, p in _complete(folder)}
    for p in folder.iterdir():
        stray = p.name.endswith(".part") or (p.suffix == ".safetensors" and p.name not in live)
        if stray:
            try:
                p.unlink()
            except OSError:
                pass


def read_checkpoint(json_path: Path) -> Checkpoint:
    """Read and verify one checkpoint; raises CheckpointError when incomplete or damaged."""
    from safetensors.torch import load as st_load

    json_path = Path(json_path)
    try:
        meta = json.loads(json_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CheckpointError(f"{json_path.name}: unreadable ({exc})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise CheckpointError(f"{json_path.name}: not a desktop_gan checkpoint")
    if int(meta.get("format_version", 0)) > FORMAT_VERSION:
        raise CheckpointError(f"{json_path.name}: written by a newer desktop_gan")
    weights = json_path.with_name(meta.get("weights", ""))
    try:
        payload = weights.read_bytes()
    except OSError as exc:
        raise CheckpointError(f"{json_path.name}: weights missing ({exc})") from None
    if hashlib.sha256(payload).hexdigest() != meta.get("sha256"):
        raise CheckpointError(f"{weights.name}: checksum mismatch (incomplete or damaged)")
    try:
        tensors = st_load(payload)
    except Exception as exc:  # safetensors raises its own error types
        raise CheckpointError(f"{weights.name}: not valid safetensors ({exc})") from None
    return Checkpoint(int(meta["step"]), json_path, meta, tensors)


def latest(run_dir: Path) -> Checkpoint | None:
    """The newest complete checkpoint of a run, or None when there is none."""
    for _, p in _complete(Path(run_dir) / "checkpoints"):
        try:
            return read_checkpoint(p)
        except CheckpointError:
            continue
    return None


def average_weights(run_dir: Path, role: str, steps: list[int]) -> dict:
    """The mean of ``role``'s floating-point tensors over the checkpoints at ``steps`` (a stochastic
    weight average); integer buffers come from the last. Raises CheckpointError when one is missing."""
    folder = Path(run_dir) / "checkpoints"
    prefix = f"module/{role}/"
    total: dict = {}
    dtypes: dict = {}
    for step in steps:
        ckpt = read_checkpoint(folder / f"step_{int(step):08d}.json")
        for name, t in ckpt.tensors.items():
            if not name.startswith(prefix):
                continue
            key = name[len(prefix):]
            dtypes[key] = t.dtype
            if t.is_floating_point():
                total[key] = total[key] + t.double() if key in total else t.double()
            else:
                total[key] = t
    if not total:
        raise CheckpointError(f"no {role} weights in the checkpoints at steps {steps}")
    return {k: (v / len(steps)).to(dtypes[k]) if v.is_floating_point() else v for k, v in total.items()}


def restore(ckpt: Checkpoint, modules: dict, optimisers: dict, schedulers: dict, rng: bool = True) -> None:
    """Load weights, optimiser and scheduler states (and the RNG states) into live objects."""
    for role, mod in modules.items():
        prefix = f"module/{role}/"
        sd = {k[len(prefix):]: v for k, v in ckpt.tensors.items() if k.startswith(prefix)}
        if not sd:
            raise CheckpointError(f"{ckpt.path.name}: has no weights for {role!r}")
        target = _unwrap(mod)
        ref = target.state_dict()
        target.load_state_dict({k: v.to(ref[k].device) if k in ref else v for k, v in sd.items()})
    for role, opt in optimisers.items():
        if role not in ckpt.meta["optimisers"]:
            raise CheckpointError(f"{ckpt.path.name}: has no optimiser state for {role!r}")
        optimiser_from_parts(role, opt, ckpt.tensors, ckpt.meta["optimisers"][role])
    for role, sched in schedulers.items():
        if role in ckpt.meta.get("schedulers", {}):
            sched.load_state_dict(ckpt.meta["schedulers"][role])
    if rng:
        set_rng_state(ckpt.meta["rng"])
