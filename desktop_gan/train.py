"""Process entry for training: ``python -m desktop_gan.train TASK --out RUN_DIR ...``.

The same arguments as ``desktop-gan train`` (which runs through ``run_parsed`` here too). Under
``torchrun --nproc_per_node=N -m desktop_gan.train`` each process joins the process group (gloo on
CPU, nccl on CUDA) and the trainer runs DDP; only rank 0 writes files. SIGTERM and SIGINT (Ctrl-C)
stop at the end of the current step with a checkpoint (the Training panel's worker and torchrun use
them); a second signal exits at once, and ``--resume`` still works from the previous checkpoint.
"""

from __future__ import annotations

import argparse
import signal
import sys


def run_parsed(args) -> int:
    """Threads, signals, process group, then ``commands.train.execute``; returns the exit code."""
    import torch

    from desktop_gan.commands.train import execute
    from desktop_gan.training.trainer import TrainingError, init_distributed

    torch.set_num_threads(max(1, int(args.threads)))
    stop = {"n": 0}

    def on_signal(signum, frame):
        stop["n"] += 1
        if stop["n"] > 1:
            raise KeyboardInterrupt
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        init_distributed(None if args.device == "auto" else args.device)
    except (TrainingError, RuntimeError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    finished = False
    try:
        rc = execute(args, stop_flag=lambda: stop["n"] > 0)
        finished = True
        return rc
    except KeyboardInterrupt:
        print("interrupted; the last checkpoint is kept, continue with --resume", file=sys.stderr)
        return 130
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        if torch.distributed.is_initialized():
            leave_process_group(wait_for_others=finished)


def leave_process_group(wait_for_others: bool) -> None:
    """Destroy the process group once nothing uses it. The DDP wrappers (their reducers hold the
    group) are collected first, so the group is not torn down during interpreter shutdown; and a
    rank that finished waits at a barrier for the others (rank 0 still exports), so no rank closes
    its connections while a peer is still using them. A rank that failed skips the barrier: torchrun
    stops the others."""
    import gc

    import torch.distributed as dist

    gc.collect()
    if wait_for_others:
        dist.barrier()
    dist.destroy_process_group()


def main(argv: list[str] | None = None) -> int:
    from desktop_gan.commands.train import add_arguments

    parser = argparse.ArgumentParser(prog="python -m desktop_gan.train", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    add_arguments(parser)
    return run_parsed(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
