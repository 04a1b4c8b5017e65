"""The files of a training run besides checkpoints: the JSON-lines log, status.json, previews and
the control file the UI writes (``{"state": "run" | "pause" | "stop"}``), and how all ranks of a
DDP run agree on that state. Used by ``trainer.py``; ``read_log`` and ``write_control`` are public.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path
from typing import Callable

import numpy as np

from desktop_gan.training import checkpoint as ckpt_mod
from desktop_gan.training.checkpoint import atomic_write_json

RUN, PAUSE, STOP = 0, 1, 2
_CONTROL = {"run": RUN, "pause": PAUSE, "stop": STOP}


# -- the log ----------------------------------------------------------------------------------------
def read_log(path: Path) -> list[dict]:
    """All complete records of a log.jsonl (a torn last line from a kill is ignored)."""
    out = []
    try:
        text = Path(path).read_text(encoding="utf-8", errors="replace")
    except OSError:
        return out
    for line in text.splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(rec, dict):
            out.append(rec)
    return out


def _cut_log(path: Path, step: int) -> None:
    """Keep only records up to ``step`` (what a resume continues from); rewrite atomically."""
    if not path.exists():
        return
    keep = [r for r in read_log(path) if int(r.get("step", 0)) <= step]
    ckpt_mod.atomic_write(path, "".join(json.dumps(r, sort_keys=True) + "\n" for r in keep).encode())


class _Writer:
    """Rank 0's files: log lines, status, previews. Other ranks get a writer that does nothing."""

    def __init__(self, run_dir: Path, enabled: bool) -> None:
        self.run_dir, self.enabled = run_dir, enabled
        self._log = None
        self.status: dict = {}
        self._status_t = 0.0

    def open(self) -> None:
        if self.enabled:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            self._log = open(self.run_dir / "log.jsonl", "a", encoding="utf-8")

    def log(self, rec: dict) -> None:
        if self._log is not None:
            rec.setdefault("time", time.time())
            self._log.write(json.dumps(rec, sort_keys=True, allow_nan=True) + "\n")
            self._log.flush()

    def set_status(self, force: bool = False, every: float = 0.5, **fields) -> None:
        self.status.update(fields, updated=time.time(), pid=os.getpid())
        now = time.monotonic()
        if self.enabled and (force or now - self._status_t >= every):
            self._status_t = now
            atomic_write_json(self.run_dir / "status.json", self.status)

    def previews(self, step: int, previews) -> list[str]:
        if not self.enabled or not previews:
            return []
        from desktop_gan.io.audiofile import save_audio

        folder = self.run_dir / "previews" / f"step_{step}"
        folder.mkdir(parents=True, exist_ok=True)
        paths = []
        for i, p in enumerate(previews):
            name = "".join(c if c.isalnum() or c in "-_." else "_" for c in str(p.name)) or f"preview{i}"
            audio = np.clip(np.asarray(p.audio, dtype=np.float32), -1.0, 1.0)
            paths.append(str(save_audio(folder / f"{name}.wav", audio, int(p.samplerate), overwrite=True)))
        return paths

    def close(self) -> None:
        if self._log is not None:
            self._log.close()
            self._log = None


def read_control(run_dir: Path) -> int:
    try:
        state = json.loads((Path(run_dir) / "control.json").read_text()).get("state", "run")
    except (OSError, ValueError, AttributeError):
        return RUN
    return _CONTROL.get(state, RUN)


def write_control(run_dir: Path, state: str) -> None:
    """What the UI calls: 'run' | 'pause' | 'stop'."""
    if state not in _CONTROL:
        raise ValueError(f"control state must be one of {sorted(_CONTROL)}")
    atomic_write_json(Path(run_dir) / "control.json", {"state": state, "time": time.time()})


class _Control:
    def __init__(self, run_dir: Path, rank: int, distributed: bool, stop_flag: Callable[[], bool] | None) -> None:
        self.run_dir, self.rank, self.distributed, self.stop_flag = run_dir, rank, distributed, stop_flag
        self._sig = None

    def poll(self) -> int:
        code = RUN
        if self.rank == 0:
            stamp = None
            try:
                st = (self.run_dir / "control.json").stat()
                stamp = (st.st_mtime_ns, st.st_size)
            except OSError:
                pass
            if stamp != self._sig:
                self._sig = stamp
                self._code = read_control(self.run_dir)
            code = getattr(self, "_code", RUN)
        if self.stop_flag is not None and self.stop_flag():
            code = STOP
        if self.distributed:
            code = self._agree(code)
        return code

    def _agree(self, code: int) -> int:
        """All ranks agree on the control state: the max over ranks, one step late. The all-reduce
        runs asynchronously behind the step, so a DDP step does not wait one extra round trip."""
        import torch
        import torch.distributed as dist

        agreed = RUN
        pending = getattr(self, "_pending", None)
        if pending is not None:
            pending[0].wait()
            agreed = int(pending[1].item())
        t = torch.tensor([code], dtype=torch.int64)
        if dist.get_backend() == "nccl":
            t = t.cuda()
        self._pending = (dist.all_reduce(t, op=dist.ReduceOp.MAX, async_op=True), t)
        return agreed

    def close(self) -> None:
        pending = getattr(self, "_pending", None)
        if pending is not None:
            pending[0].wait()
            self._pending = None
