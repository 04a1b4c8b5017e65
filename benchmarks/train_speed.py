"""Training speed: steps/s of each registered task through the real trainer, and data-parallel
throughput with 2 processes (gloo) against 1.

Every case runs ``python -m torch.distributed.run --standalone --nproc_per_node=N -m
desktop_gan.train TASK ...`` (N=1 runs without a process group), one torch thread per process, no
evaluation or export, and reads the step times from the run's log.jsonl (the first ``--warmup``
steps left out). Throughput = steps/s x processes x the task's batch (examples/s). Tasks whose
module is missing are skipped with a note. Prints a table and one JSON line.

    python benchmarks/train_speed.py [--tasks enhancer drums] [--steps 30] [--no-ddp] [--cuda]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
TOY = "tests.training.toy_task:ToyTask"


def run_case(task: str, procs: int, device: str, steps: int, warmup: int, settings: list[str]) -> dict:
    from desktop_gan.training.trainer import read_log

    with tempfile.TemporaryDirectory(prefix="train_speed_") as tmp:
        run = Path(tmp) / "run"
        cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", f"--nproc_per_node={procs}",
               "-m", "desktop_gan.train", task, "--out", str(run), "--steps", str(steps), "--ckpt-every",
               str(10 * steps), "--no-eval", "--no-export", "--quiet", "--device", device, "--threads", "1"]
        for s in settings:
            cmd += ["--set", s]
        env = dict(os.environ, OMP_NUM_THREADS="1", PYTHONPATH=str(ROOT))
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True)
        if proc.returncode != 0:
            return {"error": (proc.stdout + proc.stderr).strip().splitlines()[-1][:200]}
        recs = [r for r in read_log(run / "log.jsonl") if r.get("type") == "train"]
        plan = json.loads((run / "run.json").read_text())
    a, b = recs[min(warmup, len(recs) - 2)], recs[-1]
    rate = (b["step"] - a["step"]) / max(1e-9, b["time"] - a["time"])
    return {"steps_per_s": rate, "steps": b["step"] - a["step"], "settings": plan["kwargs"]}


def batch_of(task: str, settings: list[str]) -> int:
    from desktop_gan.training.registry import make_task

    kw = {k: json.loads(v) for k, _, v in (s.partition("=") for s in settings)}
    try:
        return int(make_task(task, **kw).config().get("batch", 1))
    except Exception:
        return 1


def main(argv: list[str] | None = None) -> int:
    from desktop_gan.training.registry import TASKS, TaskError, resolve_task

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--tasks", nargs="*", default=[*TASKS, TOY])
    ap.add_argument("--steps", type=int, default=30)
    ap.add_argument("--warmup", type=int, default=5)
    ap.add_argument("--no-ddp", action="store_true", help="only the single-process cases")
    ap.add_argument("--cuda", action="store_true", help="also CUDA cases (when a GPU is present)")
    ap.add_argument("--set", action="append", default=[], metavar="TASK:KEY=VALUE",
                    help="task setting for one task, e.g. drums:max_per_kind=50")
    args = ap.parse_args(argv)

    import torch

    devices = ["cpu"] + (["cuda"] if args.cuda and torch.cuda.is_available() else [])
    rows, notes = [], []
    for task in args.tasks:
        try:
            resolve_task(task)
        except TaskError as exc:
            notes.append(f"skipped {task}: {exc}")
            continue
        short = task.rpartition(":")[2] if ":" in task else task
        settings = [s.partition(":")[2] for s in args.set if s.partition(":")[0] in (task, short)]
        batch = batch_of(task, settings)
        for device in devices:
            for procs in ([1] if args.no_ddp or device == "cuda" else [1, 2]):
                res = run_case(task, procs, device, args.steps, args.warmup, settings)
                rows.append({"task": short, "device": device, "procs": procs, "batch": batch, **res})
                if "error" not in res:
                    rows[-1]["examples_per_s"] = res["steps_per_s"] * procs * batch

    print(f"{'task':<10} {'device':<6} {'procs':>5} {'batch':>5} {'steps/s':>9} {'examples/s':>11} {'vs 1 proc':>9}")
    for r in rows:
        if "error" in r:
            print(f"{r['task']:<10} {r['device']:<6} {r['procs']:>5} {r['batch']:>5}  error: {r['error']}")
            continue
        base = next((b for b in rows if b["task"] == r["task"] and b["device"] == r["device"] and b["procs"] == 1
                     and "error" not in b), None)
        speedup = r["examples_per_s"] / base["examples_per_s"] if base else float("nan")
        r["throughput_vs_1"] = speedup
        print(f"{r['task']:<10} {r['device']:<6} {r['procs']:>5} {r['batch']:>5} {r['steps_per_s']:>9.2f} "
              f"{r['examples_per_s']:>11.1f} {speedup:>8.2f}x")
    for n in notes:
        print(n)
    print(f"{os.cpu_count()} CPU cores ({platform.machine()}), one torch thread per process, torch {torch.__version__}"
          + (f", {torch.cuda.get_device_name(0)}" if torch.cuda.is_available() else ""))
    print(json.dumps({"benchmark": "train_speed", "cpu_cores": os.cpu_count(), "torch": torch.__version__,
                      "rows": [{k: v for k, v in r.items() if k != "settings"} for r in rows], "notes": notes}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
