"""The trainer: one adversarial loop for the CLI, the Training panel and torchrun/DDP.

Public API (stable)::

    from desktop_gan.training.trainer import TrainConfig, train
    result = train(task, run_dir, TrainConfig(steps=2000, ckpt_every=200, eval_every=500, resume=True))
    result.step, result.state, result.export  # 'done' | 'stopped', path of the exported model

``task`` is any ``GanTask`` (``training/task.py``). Each step: a batch from
``task.batches(rank, world, seed)``; the discriminator step (``d_step`` -> backward -> every
optimiser whose role starts with ``discriminator``); the generator step (``g_step`` -> backward ->
the other optimisers). Schedulers (``LRScheduler`` values in the dict from ``task.optimisers``) step
after their optimiser. A non-finite loss stops the run with ``TrainingError``.

Files in ``run_dir`` (rank 0 only writes):

- ``log.jsonl``: one JSON object a line. ``{"type": "train", "step", "time", "d_loss", "g_loss",
  "d": {parts}, "g": {parts}, "steps_per_s"}`` every ``log_every`` steps; ``"eval"`` records with
  ``metrics`` and ``previews`` (WAV paths under ``previews/step_N/``); ``"start"``, ``"checkpoint"``,
  ``"state"`` (pause/run), ``"done"``, ``"stopped"``, ``"error"``.
- ``status.json``: the latest ``state`` ('running' | 'paused' | 'stopped' | 'done' | 'failed'),
  ``step``, ``total``, ``steps_per_s``, ``eta_s``, ``pid``, ``last_checkpoint``, ``export``.
- ``checkpoints/``: see ``checkpoint.py``; every ``ckpt_every`` steps and whenever the run stops.
- ``export/<task name>.safetensors`` + ``.json``: written by ``task.export`` when all steps are done,
  with the training record (steps, metrics, wall time, hardware, data scan summary). With
  ``average_from`` the exported generator is the mean of its weights at the checkpoints from that step
  to the end (kept for it), evaluated again (record ``weight_average``).
- ``control.json``: written by the UI (``{"state": "run" | "pause" | "stop"}``), read every step
  (log, status and control files: ``run_files.py``).

Resume (``resume=True``) continues from the newest complete checkpoint with the same step count.
Determinism: at every checkpoint all RNGs are reseeded from (seed, step, rank) and the batch
iterator is re-created with a seed derived from (seed, step), so on CPU a run 0->10 equals
0->5 + resume 5->10 bit for bit, on every rank. The log is cut back to the checkpoint's step.

Distributed: when ``torch.distributed`` is initialised (``init_distributed()``, as
``desktop_gan.train`` does under torchrun) generator and discriminator(s) are wrapped in DDP, each
rank draws its own shard of batches, the control state is agreed by all-reduce each step, and only
rank 0 writes files. Logged losses are rank 0's. A module a task calls past its wrapper
(``.module``) in a training step gets its gradients averaged by the trainer instead, and at every
checkpoint the ranks' weights are compared (a ``warning`` record names any role that drifted).
"""

from __future__ import annotations

import json
import os
import platform
import random
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Callable

import numpy as np

from desktop_gan.training import checkpoint as ckpt_mod
from desktop_gan.training.run_files import (PAUSE, RUN, STOP, _Control, _cut_log, _Writer, read_control,  # noqa: F401
                                            read_log, write_control)



class TrainingError(Exception):
    """Training cannot go on (bad settings, non-finite loss, incompatible checkpoint)."""


@dataclass
class TrainConfig:
    steps: int = 1000  # total steps of the run (a resumed run continues to this number)
    ckpt_every: int = 200
    eval_every: int = 0  # 0: evaluate only at the end
    log_every: int = 1
    seed: int = 0
    device: str | None = None  # 'cpu' | 'cuda' | 'cuda:N' | None (CUDA when present)
    resume: bool = False
    export: bool = True
    final_eval: bool = True  # evaluate when all steps are done (the export's metrics)
    keep: int = 2  # complete checkpoints kept
    # > 0: the export holds the generator's weights averaged over the checkpoints from this step to the
    # end (every ckpt_every steps; those checkpoints are kept) instead of the last step's weights
    average_from: int = 0
    status_every_s: float = 0.5


@dataclass
class TrainResult:
    state: str  # 'done' | 'stopped'
    step: int
    run_dir: Path
    export: Path | None = None
    metrics: dict = field(default_factory=dict)
    wall_s: float = 0.0


def derive_seed(*parts: int) -> int:
    """A 31-bit seed from integers (seed, step, rank); stable across processes and platforms."""
    return int(np.random.SeedSequence([int(p) & 0xFFFFFFFF for p in parts]).generate_state(1)[0]) & 0x7FFFFFFF


def seed_all(seed: int) -> None:
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def pick_device(name: str | None, local_rank: int = 0):
    import torch

    if name in (None, "", "auto"):
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise TrainingError("CUDA was asked for but no CUDA device is available; use --device cpu")
        if name == "cuda":
            name = f"cuda:{local_rank % torch.cuda.device_count()}"
    elif name != "cpu":
        raise TrainingError(f"unknown device {name!r} (cpu or cuda)")
    return torch.device(name)


def init_distributed(device: str | None = None) -> tuple[int, int]:
    """Join the process group that torchrun describes (RANK/WORLD_SIZE/...); returns (rank, world).
    Without torchrun's variables nothing happens and (0, 1) is returned."""
    import torch
    import torch.distributed as dist

    world = int(os.environ.get("WORLD_SIZE", "1"))
    if world <= 1 or dist.is_initialized():
        return (dist.get_rank(), dist.get_world_size()) if dist.is_initialized() else (0, 1)
    dev = pick_device(device, int(os.environ.get("LOCAL_RANK", "0")))
    backend = "nccl" if dev.type == "cuda" else "gloo"
    if dev.type == "cuda":
        torch.cuda.set_device(dev)
    dist.init_process_group(backend=backend)
    return dist.get_rank(), dist.get_world_size()


def hardware() -> str:
    import torch

    if torch.cuda.is_available():
        return f"{torch.cuda.get_device_name(0)} (CUDA), torch {torch.__version__}"
    return f"{platform.machine()} CPU, {os.cpu_count()} cores, {torch.get_num_threads()} torch thread(s), torch {torch.__version__}"


# -- the loop -------------------------------------------------------------------------------------
def _split_optimisers(opts: dict) -> tuple[dict, dict]:
    import torch

    sched_type = getattr(torch.optim.lr_scheduler, "LRScheduler", torch.optim.lr_scheduler._LRScheduler)
    optimisers = {k: v for k, v in opts.items() if isinstance(v, torch.optim.Optimizer)}
    schedulers = {k: v for k, v in opts.items() if isinstance(v, sched_type)}
    if "generator" not in optimisers or not any(k.startswith("discriminator") for k in optimisers):
        raise TrainingError("task.optimisers() must return 'generator' and 'discriminator' optimisers")
    return optimisers, schedulers


def _finite(loss, what: str, step: int) -> None:
    import torch

    if not bool(torch.isfinite(loss.detach()).all()):
        raise TrainingError(f"{what} loss is not finite at step {step}; lower the learning rate or check the data")


class _BypassGuard:
    """Keeps ranks identical when a task calls a module past its DDP wrapper (``.module``): such a
    module's gradients are not all-reduced by DDP, so the trainer averages them itself. A pre-hook
    on each wrapper notes which roles went through DDP in this step (a generator output made in
    ``d_step`` and reused in ``g_step`` counts); ``reset()`` starts each step."""

    def __init__(self, modules: dict, world: int) -> None:
        self.world, self.through_ddp, self.role_of = world, set(), {}
        for role, m in modules.items():
            if hasattr(m, "module"):
                m.register_forward_pre_hook(lambda mod, args, role=role: self.through_ddp.add(role))
                for p in m.module.parameters():
                    self.role_of[id(p)] = role

    def sync(self, optimisers) -> None:
        import torch
        import torch.distributed as dist

        roles: dict[str, list] = {}
        for opt in optimisers:
            for group in opt.param_groups:
                for p in group["params"]:
                    role = self.role_of.get(id(p))
                    if role is not None:
                        roles.setdefault(role, []).append(p)
        for role, params in roles.items():
            if role not in self.through_ddp:
                grads = [p.grad for p in params if p.grad is not None]
                if grads:
                    flat = torch.cat([g.reshape(-1) for g in grads])
                    dist.all_reduce(flat)
                    flat /= self.world
                    offset = 0
                    for g in grads:
                        g.copy_(flat[offset:offset + g.numel()].view_as(g))
                        offset += g.numel()

    def reset(self) -> None:
        self.through_ddp.clear()


def ranks_agree(modules: dict) -> list[str]:
    """Roles whose weights differ between ranks (empty when all agree; always empty without DDP).
    A task that calls a module's ``.module`` (bypassing DDP) in a training step makes them drift."""
    import torch
    import torch.distributed as dist

    if not (dist.is_available() and dist.is_initialized()):
        return []
    bad = []
    for role, mod in sorted(modules.items()):
        with torch.no_grad():
            fp = torch.stack([torch.stack([p.double().sum(), (p.double() ** 2).sum()])
                              for p in ckpt_mod._unwrap(mod).parameters()]).flatten()
        if dist.get_backend() == "nccl":
            fp = fp.cuda()
        lo, hi = fp.clone(), fp.clone()
        dist.all_reduce(lo, op=dist.ReduceOp.MIN)
        dist.all_reduce(hi, op=dist.ReduceOp.MAX)
        if not torch.equal(lo, hi):
            bad.append(role)
    return bad


def _average_generator(task, modules: dict, run_dir: Path, cfg: TrainConfig, step: int, device, emit) -> dict:
    """Load the average of the generator's checkpointed weights from ``cfg.average_from`` to ``step``
    into the generator (the run is over; its last checkpoint keeps the raw weights for a resume),
    evaluate it, and return what the export's record says about it."""
    every = cfg.ckpt_every
    first = -(-cfg.average_from // every) * every  # the first checkpoint step at or after average_from
    steps = list(range(first, step, every)) + [step]
    try:
        averaged = ckpt_mod.average_weights(run_dir, "generator", steps)
    except ckpt_mod.CheckpointError as exc:
        raise TrainingError(f"cannot average the generator's weights: {exc}") from exc
    gen = getattr(modules["generator"], "module", modules["generator"])
    gen.load_state_dict({k: v.to(device) for k, v in averaged.items()})
    res = task.evaluate(modules, device)
    metrics = {k: float(v) for k, v in res.metrics.items()}
    emit({"type": "eval", "step": step, "metrics": metrics, "weights": "average", "averaged_steps": steps})
    return {"metrics": metrics, "weight_average": {"from_step": cfg.average_from, "steps": steps}}


def train(task, run_dir: str | os.PathLike, cfg: TrainConfig | None = None, *,
          stop_flag: Callable[[], bool] | None = None, record: dict | None = None,
          on_record: Callable[[dict], None] | None = None) -> TrainResult:
    """Train ``task`` into ``run_dir``; see the module docstring. ``stop_flag()`` returning True
    (e.g. set by a SIGTERM handler) stops like ``control.json`` does; ``record`` is added to the
    export's training record (e.g. the dataset scan); ``on_record`` sees every log record."""
    import torch
    import torch.distributed as dist

    cfg = cfg or TrainConfig()
    run_dir = Path(run_dir)
    distributed = dist.is_available() and dist.is_initialized()
    rank, world = (dist.get_rank(), dist.get_world_size()) if distributed else (0, 1)
    if cfg.average_from > 0 and cfg.ckpt_every <= 0:  # found out now, not after the last step
        raise TrainingError("averaging the generator's weights needs checkpoints (ckpt_every > 0)")
    device = pick_device(cfg.device, int(os.environ.get("LOCAL_RANK", "0")))
    writer = _Writer(run_dir, rank == 0)

    last = ckpt_mod.latest(run_dir)
    if last is not None and not cfg.resume:
        raise TrainingError(f"{run_dir} already holds a run (checkpoint at step {last.step}); "
                            "resume it or choose a new folder")
    start = last.step if (cfg.resume and last is not None) else 0
    seed_all(derive_seed(cfg.seed, 0, 0))  # the same initial weights on every rank
    modules = task.build(device)
    optimisers, schedulers = _split_optimisers(task.optimisers(modules))
    task_config = task.config()
    extra = {"wall_s": 0.0, "metrics": {}}
    warnings = []
    if start:
        saved = last.meta.get("config") or {}
        now = json.loads(json.dumps(ckpt_mod._jsonable(task_config, "config")))
        changed = sorted(k for k in set(saved) | set(now) if saved.get(k) != now.get(k))
        if changed:
            warnings.append(f"task settings differ from the checkpoint's: {', '.join(changed)}")
        try:
            ckpt_mod.restore(last, modules, optimisers, schedulers, rng=False)
        except (RuntimeError, KeyError, ValueError, ckpt_mod.CheckpointError) as exc:
            raise TrainingError(f"cannot resume from {last.path.name}: {exc}") from exc
        extra.update(last.meta.get("extra", {}))
    seed_all(derive_seed(cfg.seed, start, rank))
    if start and rank == 0:
        ckpt_mod.set_rng_state(last.meta["rng"])  # the same state as the reseed above (see save())
        _cut_log(run_dir / "log.jsonl", start)
    if distributed:
        from torch.nn.parallel import DistributedDataParallel as DDP

        ids = [device.index] if device.type == "cuda" else None
        modules = {k: DDP(m, device_ids=ids) if any(p.requires_grad for p in m.parameters()) else m
                   for k, m in modules.items()}
        guard = _BypassGuard(modules, world)
        dist.barrier()  # nobody starts before everyone has read the checkpoint

    d_opts = {k: o for k, o in optimisers.items() if k.startswith("discriminator")}
    g_opts = {k: o for k, o in optimisers.items() if k not in d_opts}
    sched_of = {id(s.optimizer): s for s in schedulers.values()}
    batches = task.batches(rank, world, derive_seed(cfg.seed, start))
    control = _Control(run_dir, rank, distributed, stop_flag)
    writer.open()

    def emit(rec: dict) -> None:
        writer.log(rec)
        if on_record is not None and rank == 0:
            on_record(rec)

    emit({"type": "start" if not start else "resume", "step": start, "total": cfg.steps, "world": world,
          "device": str(device), "task": getattr(task, "name", type(task).__name__), "config": asdict(cfg)})
    for message in warnings:
        emit({"type": "warning", "step": start, "message": message})
    writer.set_status(force=True, state="running", step=start, total=cfg.steps, task=getattr(task, "name", ""),
                      steps_per_s=0.0, eta_s=None, run_dir=str(run_dir), world=world, export=None)

    def save(step: int) -> None:
        drift = ranks_agree(modules) if distributed else []
        if drift:
            emit({"type": "warning", "step": step, "message": f"ranks disagree on {', '.join(drift)} weights: "
                  "a training step used a module past its DDP wrapper in a way the trainer cannot repair"})
        # the next segment starts from (seed, step) on every rank, so a resume reproduces it exactly;
        # reseeding first makes the RNG state stored in the checkpoint that same state
        seed_all(derive_seed(cfg.seed, step, rank))
        if rank == 0:
            path = ckpt_mod.save_checkpoint(run_dir, step, modules, optimisers, schedulers, task_config,
                                            extra={**extra, "wall_s": wall()}, keep=cfg.keep,
                                            keep_from=cfg.average_from or None)
            writer.set_status(force=True, last_checkpoint=str(path))
            emit({"type": "checkpoint", "step": step, "path": str(path)})
        holder[0] = task.batches(rank, world, derive_seed(cfg.seed, step))

    def evaluate(step: int) -> dict:
        if rank != 0:
            return {}
        res = task.evaluate(modules, device)
        metrics = {k: float(v) for k, v in res.metrics.items()}
        emit({"type": "eval", "step": step, "metrics": metrics, "previews": writer.previews(step, res.previews)})
        extra["metrics"], extra["eval_step"] = metrics, step
        return metrics

    wall0 = time.monotonic() - float(extra.get("wall_s", 0.0))

    def wall() -> float:
        return time.monotonic() - wall0

    holder = [batches]
    step = start
    rate, t_rate, n_rate, train_s = 0.0, 0.0, 0, 0.0
    state = "done"
    try:
        while step < cfg.steps:
            code = control.poll()
            if code == PAUSE:
                emit({"type": "state", "step": step, "state": "paused"})
                writer.set_status(force=True, state="paused")
                t_pause = time.monotonic()
                while code == PAUSE:
                    time.sleep(0.2)
                    code = control.poll()
                wall0 += time.monotonic() - t_pause  # paused time is not training time
                emit({"type": "state", "step": step, "state": "running" if code == RUN else "stopping"})
                writer.set_status(force=True, state="running")
            if code == STOP:
                state = "stopped"
                break
            t0 = time.perf_counter()
            try:
                batch = next(holder[0])
            except StopIteration:
                raise TrainingError("task.batches() ran out; it must yield batches endlessly") from None
            if distributed:
                guard.reset()
            for o in d_opts.values():
                o.zero_grad(set_to_none=True)
            d_loss, d_logs = task.d_step(modules, batch, device)
            _finite(d_loss, "discriminator", step + 1)
            d_loss.backward()
            if distributed:
                guard.sync(d_opts.values())
            for o in d_opts.values():
                o.step()
                if id(o) in sched_of:
                    sched_of[id(o)].step()
            for o in g_opts.values():
                o.zero_grad(set_to_none=True)
            g_loss, g_logs = task.g_step(modules, batch, device)
            _finite(g_loss, "generator", step + 1)
            g_loss.backward()
            if distributed:
                guard.sync(g_opts.values())
            for o in g_opts.values():
                o.step()
                if id(o) in sched_of:
                    sched_of[id(o)].step()
            step += 1
            dt = time.perf_counter() - t0
            train_s += dt
            t_rate += dt
            n_rate += 1
            if t_rate >= 0.5 or rate == 0.0:
                rate = n_rate / t_rate if t_rate > 0 else 0.0
                t_rate, n_rate = 0.0, 0
            if step % max(1, cfg.log_every) == 0 or step == cfg.steps:
                eta = (cfg.steps - step) / rate if rate > 0 else None
                emit({"type": "train", "step": step, "d_loss": float(d_loss.detach()), "g_loss": float(g_loss.detach()),
                      "d": {k: float(v) for k, v in d_logs.items()}, "g": {k: float(v) for k, v in g_logs.items()},
                      "steps_per_s": rate, "eta_s": eta, "wall_s": wall()})
                writer.set_status(every=cfg.status_every_s, state="running", step=step, steps_per_s=rate, eta_s=eta)
            if cfg.eval_every and step % cfg.eval_every == 0 and step < cfg.steps:
                evaluate(step)
            if cfg.ckpt_every and step % cfg.ckpt_every == 0 and step < cfg.steps:
                save(step)
        export_path = None
        if state == "done":
            if cfg.final_eval and extra.get("eval_step") != step:
                evaluate(step)
            save(step)
            if cfg.export and rank == 0:
                export_path = run_dir / "export" / f"{getattr(task, 'name', 'model')}.safetensors"
                export_path.parent.mkdir(parents=True, exist_ok=True)
                rec = {"steps": step, "metrics": extra.get("metrics", {}), "wall_time_s": wall(),
                       "train_time_s_this_session": train_s, "hardware": hardware(), "device": str(device),
                       "world_size": world, "seed": cfg.seed, "run_dir": str(run_dir),
                       "finished_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()), **(record or {})}
                if 0 < cfg.average_from < step:
                    rec.update(_average_generator(task, modules, run_dir, cfg, step, device, emit))
                task.export(modules, export_path, rec)
        else:
            save(step)
        control.close()
        emit({"type": state, "step": step, "export": str(export_path) if export_path else None, "wall_s": wall()})
        writer.set_status(force=True, state=state, step=step, export=str(export_path) if export_path else None,
                          eta_s=None if state == "done" else writer.status.get("eta_s"))
        return TrainResult(state, step, run_dir, export_path, dict(extra.get("metrics", {})), wall())
    except BaseException as exc:
        emit({"type": "error", "step": step, "message": f"{type(exc).__name__}: {exc}"})
        writer.set_status(force=True, state="failed", step=step, error=f"{type(exc).__name__}: {exc}")
        raise
    finally:
        writer.close()
