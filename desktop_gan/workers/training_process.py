"""Training in its own process, watched through files: the app and live audio stay responsive.

``TrainingProcess.start(task, run_dir, ...)`` runs ``python -m desktop_gan.train`` as a subprocess
(its stdout/stderr go to ``RUN_DIR/process.log``; no pipes, so no reader thread). ``poll()`` reads
the new lines of ``RUN_DIR/log.jsonl`` and ``status.json`` and keeps what a UI needs: progress (step,
total, steps/s, ETA), loss curves, eval metrics and preview files. ``pause()``, ``resume()`` and
``stop()`` write ``RUN_DIR/control.json``; the trainer reads it every step, and ``stop`` ends with a
checkpoint. ``attach(run_dir)`` watches a run started earlier (e.g. one left training when the app
closed); ``find_runs(runs_dir)`` lists runs that are not done, so a reopened app can offer to resume.

Plain Python, no Qt: the Training panel polls it from a timer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from desktop_gan.training.trainer import write_control

RECON_KEYS = ("rec", "recon", "reconstruction", "stft", "mel", "l1", "mag")


@dataclass
class Progress:
    state: str = "starting"  # starting | running | paused | stopped | done | failed | exited
    step: int = 0
    total: int = 0
    steps_per_s: float = 0.0
    eta_s: float | None = None
    error: str = ""

    @property
    def fraction(self) -> float:
        return min(1.0, self.step / self.total) if self.total else 0.0


@dataclass
class Curves:
    step: list = field(default_factory=list)
    g: list = field(default_factory=list)
    d: list = field(default_factory=list)
    rec: list = field(default_factory=list)  # NaN where the task logs no reconstruction term

    def clear(self) -> None:
        for v in (self.step, self.g, self.d, self.rec):
            v.clear()


def reconstruction(g_parts: dict) -> float:
    for key in RECON_KEYS:
        if key in g_parts:
            return float(g_parts[key])
    return float("nan")


class LogTail:
    """Incremental reader of a JSON-lines file that may be rewritten (a resume cuts it back)."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._pos = 0
        self._ino = None
        self._buf = b""

    def read(self) -> tuple[list[dict], bool]:
        """(new records, reset): ``reset`` is True when the file was replaced and read from the start."""
        try:
            st = self.path.stat()
        except OSError:
            return [], False
        reset = False
        if self._ino is not None and (st.st_ino != self._ino or st.st_size < self._pos):
            self._pos, self._buf, reset = 0, b"", True
        self._ino = st.st_ino
        if st.st_size == self._pos:
            return [], reset
        with open(self.path, "rb") as fh:
            fh.seek(self._pos)
            chunk = fh.read()
        self._pos += len(chunk)
        data = self._buf + chunk
        lines = data.split(b"\n")
        self._buf = lines.pop()  # an unfinished last line waits for the next read
        out = []
        for line in lines:
            try:
                rec = json.loads(line)
            except ValueError:
                continue
            if isinstance(rec, dict):
                out.append(rec)
        return out, reset


def _read_json(path: Path) -> dict:
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
        return data if isinstance(data, dict) else {}
    except (OSError, ValueError):
        return {}


def pid_alive(pid) -> bool:
    if not isinstance(pid, int) or pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OSError):
        return True
    return True


def build_command(task: str, run_dir: Path, *, data: dict | None = None, from_model=None, steps=None,
                  device=None, ckpt_every=None, eval_every=None, average_from=None, resume=False,
                  settings: dict | None = None,
                  extra: list[str] | None = None) -> list[str]:
    """The argument list for ``python -m desktop_gan.train``; ``data`` maps a CLI flag (``--clean``)
    to a folder."""
    cmd = [sys.executable, "-m", "desktop_gan.train"]
    if task:
        cmd.append(task)
    cmd += ["--out", str(run_dir)]
    for flag, folder in (data or {}).items():
        if folder:
            cmd += [flag, str(folder)]
    for flag, value in (("--from", from_model), ("--steps", steps), ("--device", device),
                        ("--ckpt-every", ckpt_every), ("--eval-every", eval_every),
                        ("--average-from", average_from)):
        if value is not None and value != "":
            cmd += [flag, str(value)]
    for key, value in (settings or {}).items():
        cmd += ["--set", f"{key}={json.dumps(value)}"]
    if resume:
        cmd.append("--resume")
    return cmd + list(extra or [])


class TrainingProcess:
    def __init__(self, run_dir: Path, proc: subprocess.Popen | None = None) -> None:
        self.run_dir = Path(run_dir)
        self.proc = proc
        self.progress = Progress()
        self.curves = Curves()
        self.evals: list[dict] = []  # {'step', 'metrics', 'previews'}
        self.export: str | None = None
        self.messages: list[str] = []
        self._tail = LogTail(self.run_dir / "log.jsonl")
        self._status_mtime = None

    # -- starting ------------------------------------------------------------------------------
    @classmethod
    def start(cls, task: str | None, run_dir, *, env: dict | None = None, nice: int = 5, **options) -> "TrainingProcess":
        """Start training (``options`` as for ``build_command``). A task of None with
        ``resume=True`` continues the run in ``run_dir`` with its saved settings."""
        run_dir = Path(run_dir)
        run_dir.mkdir(parents=True, exist_ok=True)
        write_control(run_dir, "run")  # a 'stop' left from an earlier session must not stop this one
        cmd = build_command(task or "", run_dir, **options)
        child_env = dict(os.environ)
        pkg_root = str(Path(__file__).resolve().parents[2])
        child_env["PYTHONPATH"] = os.pathsep.join(p for p in (pkg_root, child_env.get("PYTHONPATH", "")) if p)
        child_env.update(env or {})
        log = open(run_dir / "process.log", "ab")
        kwargs: dict = {"stdout": log, "stderr": subprocess.STDOUT, "stdin": subprocess.DEVNULL, "env": child_env}
        if os.name == "posix":
            kwargs["start_new_session"] = True  # Ctrl-C in the app's terminal does not reach it
            if nice:
                kwargs["preexec_fn"] = lambda: os.nice(nice)
        else:
            kwargs["creationflags"] = getattr(subprocess, "CREATE_NEW_PROCESS_GROUP", 0)
        try:
            proc = subprocess.Popen(cmd, **kwargs)
        finally:
            log.close()
        tp = cls(run_dir, proc)
        tp.progress.total = int(options.get("steps") or 0)
        return tp

    @classmethod
    def attach(cls, run_dir) -> "TrainingProcess":
        """Watch a run that is already going (or finished) without starting anything."""
        tp = cls(Path(run_dir))
        tp.poll()
        return tp

    # -- control -------------------------------------------------------------------------------
    def pause(self) -> None:
        write_control(self.run_dir, "pause")

    def resume(self) -> None:
        write_control(self.run_dir, "run")

    def stop(self) -> None:
        """Ask for a clean stop: the trainer finishes the step, writes a checkpoint and exits."""
        write_control(self.run_dir, "stop")

    def kill(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()

    @property
    def pid(self) -> int | None:
        if self.proc is not None:
            return self.proc.pid
        return _read_json(self.run_dir / "status.json").get("pid")

    @property
    def running(self) -> bool:
        if self.proc is not None:
            return self.proc.poll() is None
        st = _read_json(self.run_dir / "status.json")
        return st.get("state") in ("running", "paused") and pid_alive(st.get("pid"))

    @property
    def returncode(self) -> int | None:
        return None if self.proc is None else self.proc.poll()

    def wait(self, timeout: float | None = None) -> int | None:
        if self.proc is None:
            deadline = None if timeout is None else time.monotonic() + timeout
            while self.running and (deadline is None or time.monotonic() < deadline):
                time.sleep(0.1)
            return None
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            return None

    def output_tail(self, chars: int = 4000) -> str:
        try:
            return (self.run_dir / "process.log").read_text(errors="replace")[-chars:]
        except OSError:
            return ""

    # -- watching ------------------------------------------------------------------------------
    def poll(self) -> list[dict]:
        """Read what is new; returns the new log records (also folded into progress/curves/evals)."""
        records, reset = self._tail.read()
        if reset:
            self.curves.clear()
            self.evals.clear()
        for rec in records:
            self._fold(rec)
        st_path = self.run_dir / "status.json"
        try:
            mtime = st_path.stat().st_mtime_ns
        except OSError:
            mtime = None
        if mtime is not None and mtime != self._status_mtime:
            self._status_mtime = mtime
            st = _read_json(st_path)
            p = self.progress
            p.total = int(st.get("total") or p.total)
            p.step = max(p.step, int(st.get("step") or 0))
            if st.get("state"):
                p.state = st["state"]
            p.error = st.get("error", p.error) or ""
            self.export = st.get("export") or self.export
        if self.proc is not None and self.proc.poll() is not None and self.progress.state in ("starting", "running", "paused"):
            self.progress.state = "exited" if self.proc.returncode == 0 else "failed"
            if self.proc.returncode != 0 and not self.progress.error:
                tail = self.output_tail(600).strip().splitlines()
                self.progress.error = tail[-1] if tail else f"exit code {self.proc.returncode}"
        return records

    def _fold(self, rec: dict) -> None:
        t, p = rec.get("type"), self.progress
        if t == "train":
            p.step, p.steps_per_s, p.eta_s = int(rec["step"]), float(rec.get("steps_per_s") or 0.0), rec.get("eta_s")
            if p.state == "starting":
                p.state = "running"
            self.curves.step.append(int(rec["step"]))
            self.curves.g.append(float(rec["g_loss"]))
            self.curves.d.append(float(rec["d_loss"]))
            self.curves.rec.append(reconstruction(rec.get("g", {})))
        elif t == "eval":
            self.evals.append({"step": rec["step"], "metrics": rec.get("metrics", {}), "previews": rec.get("previews", [])})
        elif t in ("start", "resume"):
            p.total, p.step = int(rec.get("total") or p.total), int(rec.get("step") or 0)
            p.state = "running"
            if t == "resume":  # the log was cut back to the checkpoint: drop later points
                keep = [i for i, s in enumerate(self.curves.step) if s <= p.step]
                for name in ("step", "g", "d", "rec"):
                    setattr(self.curves, name, [getattr(self.curves, name)[i] for i in keep])
        elif t == "state":
            p.state = rec.get("state", p.state)
        elif t in ("done", "stopped"):
            p.state, p.eta_s = t, None
            self.export = rec.get("export") or self.export
        elif t == "error":
            p.state, p.error = "failed", rec.get("message", "")
        elif t == "warning":
            self.messages.append(rec.get("message", ""))

    def record(self) -> dict:
        """The exported model's config (with its training record), once the run is done."""
        if not self.export:
            return {}
        return _read_json(Path(self.export).with_suffix(".json"))


@dataclass
class RunInfo:
    run_dir: Path
    task: str
    kind: str
    state: str  # the last status; 'interrupted' when it says running but its process is gone
    step: int
    total: int
    updated: float
    alive: bool


def find_runs(runs_dir, include_done: bool = False) -> list[RunInfo]:
    """Runs under ``runs_dir`` (newest first); by default only those not done (resumable)."""
    out = []
    root = Path(runs_dir)
    if not root.is_dir():
        return out
    for run in root.iterdir():
        if not (run / "run.json").exists():
            continue
        meta, st = _read_json(run / "run.json"), _read_json(run / "status.json")
        state = st.get("state", "interrupted")
        alive = state in ("running", "paused") and pid_alive(st.get("pid"))
        if state in ("running", "paused") and not alive:
            state = "interrupted"
        if state == "done" and not include_done:
            continue
        out.append(RunInfo(run, meta.get("task", ""), meta.get("kind", ""), state, int(st.get("step") or 0),
                           int(st.get("total") or meta.get("train", {}).get("steps") or 0),
                           float(st.get("updated") or 0.0), alive))
    return sorted(out, key=lambda r: r.updated, reverse=True)
