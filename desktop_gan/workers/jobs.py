"""Background job threads: the one place where the app runs work off the GUI and audio threads.

``JobThread`` is a plain single-thread FIFO job runner: ``submit(fn, *args)`` returns a ``Job``
whose result, progress and cancellation can be queried from any thread. A job function that accepts
a ``ctx`` keyword receives a ``JobContext`` to report progress and to check for cancellation.

``InferenceWorker`` is the JobThread that owns torch: torch is imported on the worker's own thread
(never on the path to the first window), the device is CUDA when present else CPU, and CPU work uses
one torch thread (two threads on two cores were slower here). Loaded models are cached by key.
"""

from __future__ import annotations

import inspect
import itertools
import queue
import threading
import traceback
from typing import Any, Callable


class Cancelled(Exception):
    """Raised inside a job when its cancellation was requested."""


class JobContext:
    def __init__(self, job: "Job", device: str | None) -> None:
        self._job = job
        self.device = device

    def progress(self, fraction: float, message: str = "") -> None:
        self._job._set_progress(float(fraction), message)

    def check_cancelled(self) -> None:
        if self._job._cancel.is_set():
            raise Cancelled()

    @property
    def cancelled(self) -> bool:
        return self._job._cancel.is_set()


class Job:
    _ids = itertools.count(1)

    def __init__(self, fn: Callable, args: tuple, kwargs: dict) -> None:
        self.id = next(Job._ids)
        self.fn, self.args, self.kwargs = fn, args, kwargs
        self._cancel = threading.Event()
        self._done = threading.Event()
        self.progress = 0.0
        self.message = ""
        self.value: Any = None
        self.error: BaseException | None = None
        self.error_text = ""
        self.on_progress: Callable[["Job"], None] | None = None
        self.on_done: Callable[["Job"], None] | None = None

    # -- any thread --------------------------------------------------------------------------
    def cancel(self) -> None:
        self._cancel.set()

    @property
    def cancelled(self) -> bool:
        return isinstance(self.error, Cancelled)

    @property
    def done(self) -> bool:
        return self._done.is_set()

    def result(self, timeout: float | None = None) -> Any:
        if not self._done.wait(timeout):
            raise TimeoutError(f"job {self.id} still running")
        if self.error is not None:
            raise self.error
        return self.value

    # -- worker thread -----------------------------------------------------------------------
    def _set_progress(self, fraction: float, message: str) -> None:
        self.progress, self.message = max(0.0, min(1.0, fraction)), message
        if self.on_progress is not None:
            self.on_progress(self)

    def _fail(self, exc: BaseException) -> None:
        """Finish without running (the worker cannot run jobs: ``exc`` says why)."""
        self.error, self.error_text = exc, f"{type(exc).__name__}: {exc}"
        self._done.set()
        if self.on_done is not None:
            self.on_done(self)

    def _run(self, device: str | None) -> None:
        try:
            if self._cancel.is_set():
                raise Cancelled()
            kwargs = dict(self.kwargs)
            if _accepts_ctx(self.fn):
                kwargs["ctx"] = JobContext(self, device)
            self.value = self.fn(*self.args, **kwargs)
        except BaseException as exc:  # reported to the submitter, never lost
            self.error = exc
            if not isinstance(exc, Cancelled):
                self.error_text = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
                self.traceback = traceback.format_exc()
        finally:
            self._done.set()
            if self.on_done is not None:
                self.on_done(self)


def _accepts_ctx(fn: Callable) -> bool:
    try:
        params = inspect.signature(fn).parameters
    except (TypeError, ValueError):
        return False
    return "ctx" in params or any(p.kind is p.VAR_KEYWORD for p in params.values())


_STOP = object()


class JobThread:
    """One daemon-free worker thread running submitted jobs in order."""

    def __init__(self, name: str = "jobs") -> None:
        self.name = name
        self._queue: queue.Queue = queue.Queue()
        self._thread: threading.Thread | None = None
        self._current: Job | None = None

    @property
    def device(self) -> str | None:
        return None

    def start(self) -> "JobThread":
        if self._thread is None:
            self._thread = threading.Thread(target=self._loop, name=self.name, daemon=False)
            self._thread.start()
        return self

    @property
    def alive(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def submit(self, fn: Callable, *args, **kwargs) -> Job:
        job = Job(fn, args, kwargs)
        self.submit_job(job)
        return job

    def submit_job(self, job: Job) -> Job:
        if self._thread is None:
            self.start()
        self._queue.put(job)
        return job

    def cancel_all(self) -> None:
        """Cancel the running job and everything queued."""
        if self._current is not None:
            self._current.cancel()
        for job in list(self._queue.queue):
            if isinstance(job, Job):
                job.cancel()

    def shutdown(self, wait: bool = True, cancel: bool = True) -> None:
        if cancel:
            self.cancel_all()
        if self._thread is None:
            return
        self._queue.put(_STOP)
        if wait:
            self._thread.join()
        self._thread = None

    error: str | None = None  # set by ``_prepare`` when the thread cannot run jobs at all

    def _prepare(self) -> None:
        """Runs once on the worker thread before the first job."""

    def _loop(self) -> None:
        self._prepare()
        while True:
            job = self._queue.get()
            if job is _STOP:
                return
            self._current = job
            if self.error is None:
                job._run(self.device)
            else:
                job._fail(RuntimeError(self.error))
            self._current = None


class InferenceWorker(JobThread):
    """The thread that owns torch and the loaded models."""

    def __init__(self, name: str = "inference", device: str | None = None) -> None:
        super().__init__(name)
        self._requested = device
        self._device: str | None = None
        self._ready = threading.Event()
        self._models: dict[str, Any] = {}
        self.error: str | None = None  # why no device could be set up (e.g. CUDA asked for, none present)

    @property
    def device(self) -> str | None:
        return self._device

    def wait_ready(self, timeout: float | None = None) -> str | None:
        self._ready.wait(timeout)
        return self._device

    def _prepare(self) -> None:
        try:
            import torch

            if self._requested:
                device = self._requested
                if device.startswith("cuda") and not torch.cuda.is_available():
                    raise RuntimeError("CUDA was requested but no CUDA device is available")
            else:
                device = "cuda" if torch.cuda.is_available() else "cpu"
            if device == "cpu":
                torch.set_num_threads(1)
            self._device = device
        except Exception as exc:  # no silent CPU fallback: every job fails with the reason
            self.error = str(exc) or type(exc).__name__
        finally:
            self._ready.set()

    def model(self, key: str, loader: Callable[[str], Any]) -> Any:
        """Return a cached model, loading it with ``loader(device)``. Call from jobs only."""
        if key not in self._models:
            self._models[key] = loader(self._device or "cpu")
        return self._models[key]

    def forget(self, key: str | None = None) -> None:
        if key is None:
            self._models.clear()
        else:
            self._models.pop(key, None)
