"""Run under torchrun by test_train_ddp.py: ``desktop_gan.train`` with the toy task on every rank, recording
any file each rank tries to write in the run folder, then dumping each rank's final weights
(outside the run folder) so the test can compare ranks.

    torchrun --nproc_per_node=2 -m tests.training.ddp_worker OUT_DIR -- <desktop_gan.train arguments>
"""

import builtins
import gc
import io
import json
import os
import sys
import tempfile
from pathlib import Path

import numpy as np


def _watch_writes(run_dir: Path, seen: list) -> None:
    run_dir = str(run_dir.resolve())

    def inside(path) -> bool:
        try:
            return os.path.abspath(os.fspath(path)).startswith(run_dir)
        except TypeError:
            return False

    real_open, real_os_open, real_replace, real_mkstemp, real_mkdir = (
        builtins.open, os.open, os.replace, tempfile.mkstemp, os.mkdir)

    def open_(file, mode="r", *a, **k):
        if inside(file) and any(c in mode for c in "wax+"):
            seen.append(["open", str(file)])
        return real_open(file, mode, *a, **k)

    def os_open(path, flags, *a, **k):
        if inside(path) and flags & (os.O_WRONLY | os.O_RDWR | os.O_CREAT):
            seen.append(["os.open", str(path)])
        return real_os_open(path, flags, *a, **k)

    def replace(src, dst, *a, **k):
        if inside(dst):
            seen.append(["replace", str(dst)])
        return real_replace(src, dst, *a, **k)

    def mkstemp(*a, dir=None, **k):
        if dir is not None and inside(dir):
            seen.append(["mkstemp", str(dir)])
        return real_mkstemp(*a, dir=dir, **k)

    def mkdir(path, *a, **k):
        if inside(path):
            seen.append(["mkdir", str(path)])
        return real_mkdir(path, *a, **k)

    builtins.open = io.open = open_
    os.open, os.replace, tempfile.mkstemp, os.mkdir = os_open, replace, mkstemp, mkdir


def main() -> int:
    out = Path(sys.argv[1])
    argv = sys.argv[sys.argv.index("--") + 1:]
    run_dir = Path(argv[argv.index("--out") + 1])
    rank = int(os.environ["RANK"])
    seen: list = []
    _watch_writes(run_dir, seen)  # on every rank: rank 0's list shows the watch works
    from desktop_gan.train import main as train_main
    from tests.training.toy_task import ToyTask

    rc = train_main(argv)
    mods = ToyTask.last["modules"]
    arrays = {f"{role}/{k}": v.detach().numpy() for role, m in mods.items()
              for k, v in getattr(m, "module", m).state_dict().items()}
    arrays["first_real"] = ToyTask.last["first_real"]
    del mods
    ToyTask.last.clear()  # the DDP wrappers hold the (destroyed) process group: free them now, not at exit
    gc.collect()
    np.savez(out / f"rank{rank}.npz", **arrays)
    (out / f"writes{rank}.json").write_text(json.dumps({"rc": rc, "writes": seen}))
    return rc


if __name__ == "__main__":
    sys.exit(main())
