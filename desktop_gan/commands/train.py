"""``desktop-gan train``: train a task into a run folder (the same code path as the Training panel).

    desktop-gan train enhancer --clean DIR --noise DIR --out RUN_DIR [--from MODEL] [--steps N]
    desktop-gan train drums --data DIR --out RUN_DIR [--steps N] [--device cpu|cuda]
    desktop-gan train --resume --out RUN_DIR          # the task and its settings come from run.json
    desktop-gan train pkg.module:Class --out RUN_DIR  # any other GanTask

Omitted data folders mean the project's own generated data. Data folders are scanned first;
unreadable, silent, clipped and too-short files are listed and skipped. For several processes use
``torchrun --nproc_per_node=N -m desktop_gan.train <same arguments>``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

FLAG_TO_KW = {"clean": "clean_dir", "noise": "noise_dir", "data": "data_dir"}


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("task", nargs="?", help="enhancer | drums | module:Class (default with --resume: from run.json)")
    p.add_argument("--task", dest="task_opt", metavar="TASK", help="same as the positional task")
    p.add_argument("--out", required=True, type=Path, help="run folder (checkpoints, log, previews, export)")
    p.add_argument("--clean", type=Path, help="enhancer: folder of clean speech")
    p.add_argument("--noise", type=Path, help="enhancer: folder of noises")
    p.add_argument("--data", type=Path, help="drums: folder of one-shots, one subfolder per kind")
    p.add_argument("--from", dest="from_model", type=Path, help="fine-tune this model (.safetensors)")
    p.add_argument("--steps", type=int, help="total steps (default 2000)")
    p.add_argument("--resume", action="store_true", help="continue the run in --out from its last checkpoint")
    p.add_argument("--device", choices=["cpu", "cuda", "auto"], help="default: CUDA when present")
    p.add_argument("--ckpt-every", type=int, help="checkpoint every N steps (default 200)")
    p.add_argument("--eval-every", type=int, help="evaluate + previews every N steps (default 500; 0: at the end)")
    p.add_argument("--log-every", type=int, help="log losses every N steps (default 1)")
    p.add_argument("--average-from", type=int, metavar="STEP",
                   help="export the generator's weights averaged over the checkpoints from STEP to the end "
                        "(kept for it) instead of the last step's")
    p.add_argument("--seed", type=int, help="default 0")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads per process (default 1)")
    p.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                   help="task setting (VALUE as JSON), e.g. --set batch=4; repeatable")
    p.add_argument("--no-export", action="store_true", help="do not export the model at the end")
    p.add_argument("--no-eval", action="store_true", help="no evaluation at all (benchmarks)")
    p.add_argument("--quiet", action="store_true", help="print only the scan and the result")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("train", help="train a model (enhancer, drums)", description=__doc__,
                              formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(p)
    return p


DEFAULTS = {"steps": 2000, "ckpt_every": 200, "eval_every": 500, "log_every": 1, "seed": 0, "device": None,
            "average_from": 0}


def _overrides(items: list[str]) -> dict:
    out = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key:
            raise ValueError(f"--set wants KEY=VALUE, got {item!r}")
        try:
            out[key] = json.loads(value)
        except json.JSONDecodeError:
            out[key] = value
    return out


def plan_from_args(args) -> dict:
    """The run's plan (task, task kwargs, trainer settings) from arguments and, on resume, run.json."""
    from desktop_gan.training.registry import data_args

    saved = {}
    run_json = Path(args.out) / "run.json"
    if args.resume and run_json.exists():
        saved = json.loads(run_json.read_text())
    task = args.task_opt or args.task or saved.get("task")
    if not task:
        raise ValueError("name the task to train (enhancer, drums or module:Class)")
    if saved.get("task") and saved["task"] != task:
        raise ValueError(f"{args.out} holds a {saved['task']!r} run, not {task!r}")
    kwargs = dict(saved.get("kwargs", {}))
    allowed = {kw for kw, _, _ in data_args(task)}
    for flag, kw in FLAG_TO_KW.items():
        value = getattr(args, flag, None)
        if value is not None:
            if kw not in allowed:
                raise ValueError(f"--{flag} does not apply to {task} (it takes: "
                                 f"{', '.join(f for _, f, _ in data_args(task)) or 'no data folders'})")
            kwargs[kw] = str(Path(value).resolve())
    if args.from_model is not None:
        kwargs["from_model"] = str(Path(args.from_model).resolve())
    kwargs.update(_overrides(args.set))
    settings = {**DEFAULTS, **saved.get("train", {})}
    for key in DEFAULTS:
        value = getattr(args, key, None)
        if value is not None:
            settings[key] = None if value == "auto" else value
    return {"task": task, "kwargs": kwargs, "train": settings}


def execute(args, stop_flag=None, out=sys.stdout) -> int:
    """Scan, build the task and train; shared by ``desktop-gan train`` and ``python -m desktop_gan.train``."""
    import torch

    from desktop_gan.training.checkpoint import atomic_write_json
    from desktop_gan.training.registry import TaskError, task_kind
    from desktop_gan.training.trainer import TrainConfig, TrainingError, train

    rank = int(torch.distributed.get_rank()) if torch.distributed.is_initialized() else 0

    def say(text: str) -> None:
        if rank == 0:
            print(text, file=out, flush=True)

    try:
        plan = plan_from_args(args)
        kind = task_kind(plan["task"])
        task, scan = build_task(plan, Path(args.out), kind, say, write=rank == 0)
    except (ValueError, TaskError, OSError) as exc:
        say(f"error: {exc}")
        return 2
    settings = plan["train"]
    cfg = TrainConfig(steps=settings["steps"], ckpt_every=settings["ckpt_every"], eval_every=settings["eval_every"],
                      log_every=settings["log_every"], seed=settings["seed"], device=settings["device"],
                      average_from=settings["average_from"],
                      resume=args.resume, export=not args.no_export, final_eval=not args.no_eval)
    if args.no_eval:
        cfg.eval_every = 0
    if rank == 0:
        atomic_write_json(Path(args.out) / "run.json", {**plan, "kind": kind, "created": time.time()})
    last = [0.0]

    def show(rec: dict) -> None:
        t = rec.get("type")
        if t == "train" and not args.quiet and (time.monotonic() - last[0] >= 1.0 or rec["step"] == cfg.steps):
            last[0] = time.monotonic()
            eta = rec.get("eta_s")
            say(f"step {rec['step']}/{cfg.steps}  D {rec['d_loss']:.4f}  G {rec['g_loss']:.4f}  "
                f"{rec['steps_per_s']:.1f} steps/s" + (f"  ETA {eta / 60:.1f} min" if eta else ""))
        elif t == "eval" and not args.quiet:
            say(f"eval @ {rec['step']}: " + ", ".join(f"{k} {v:.4g}" for k, v in rec["metrics"].items()))
        elif t in ("start", "resume"):
            say(f"{t} {kind} at step {rec['step']} of {cfg.steps} on {rec['device']} x{rec['world']}")

    try:
        result = train(task, Path(args.out), cfg, stop_flag=stop_flag, on_record=show, record={"data": scan})
    except TrainingError as exc:
        say(f"error: {exc}")
        return 1
    say(f"{result.state} at step {result.step} ({result.wall_s / 60:.1f} min)"
        + (f"; model: {result.export}" if result.export else ""))
    return 0


def build_task(plan: dict, run_dir: Path, kind: str, say, write: bool = True):
    """Scan the data folders, print the report, and build the task with only the usable files."""
    import inspect

    from desktop_gan.training.dataset_scan import filtered_view, scan_folder
    from desktop_gan.training.registry import MIN_SECONDS, data_args, make_task, resolve_task

    kwargs = dict(plan["kwargs"])
    data_kws = {kw for kw, _, _ in data_args(plan["task"])}
    reports = {}
    for kw in sorted(data_kws):
        if kwargs.get(kw):
            rep = scan_folder(kwargs[kw], MIN_SECONDS.get(kind, 0.05))
            say(rep.summary())
            if rep.error:
                raise ValueError(f"{kw.replace('_dir', '')} folder {rep.root}: {rep.error}")
            reports[kw] = rep
    if not reports:
        say(f"{kind}: no data folders given, using the project's own generated data")
    params = inspect.signature(resolve_task(plan["task"])).parameters
    if reports and "files" in params:
        kwargs["files"] = {kw: rep.files for kw, rep in reports.items()}
    elif write:
        for kw, rep in reports.items():
            if rep.problems:  # the task reads folders: give it one without the skipped files
                kwargs[kw] = str(filtered_view(rep, run_dir / "data" / kw))
    elif any(rep.problems for rep in reports.values()):
        for kw, rep in reports.items():
            if rep.problems:
                kwargs[kw] = str(run_dir / "data" / kw)
    scan = {kw: {"root": rep.root, "files": len(rep.files), "minutes": round(rep.total_seconds / 60, 3),
                 "samplerates": {str(k): v for k, v in rep.samplerates.items()}, "groups": rep.groups,
                 "skipped": [[p.path, p.reason] for p in rep.problems]} for kw, rep in reports.items()}
    return make_task(plan["task"], **kwargs), scan


def run(args) -> int:
    from desktop_gan.train import run_parsed

    return run_parsed(args)
