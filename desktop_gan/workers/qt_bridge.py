"""Qt adapter over a JobThread: job callbacks become signals delivered on the GUI thread.

The plain ``JobThread`` calls ``on_progress``/``on_done`` on the worker thread; this QObject turns
them into signal emits, which Qt queues across threads, so slots run on the thread that owns
the adapter (the GUI thread). Progress is throttled to ~30 updates per second per job.
"""

from __future__ import annotations

import time
from typing import Callable

from PySide6.QtCore import QObject, Signal

from desktop_gan.workers.jobs import Cancelled, Job, JobThread


class QtJobs(QObject):
    progress = Signal(int, float, str)
    finished = Signal(int, object)
    failed = Signal(int, str)
    cancelled = Signal(int)

    def __init__(self, jobs: JobThread, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.jobs = jobs
        self._last_progress: dict[int, float] = {}
        self._live: dict[int, Job] = {}

    def submit(self, fn: Callable, *args, **kwargs) -> int:
        job = Job(fn, args, kwargs)
        job.on_progress = self._relay_progress
        job.on_done = self._relay_done
        self._live[job.id] = job
        self.jobs.submit_job(job)
        return job.id

    def cancel(self, job_id: int) -> None:
        job = self._live.get(job_id)
        if job is not None:
            job.cancel()

    def job(self, job_id: int) -> Job | None:
        return self._live.get(job_id)

    # -- called on the worker thread ---------------------------------------------------------
    def _relay_progress(self, job: Job) -> None:
        now = time.monotonic()
        if now - self._last_progress.get(job.id, 0.0) >= 0.033 or job.progress >= 1.0:
            self._last_progress[job.id] = now
            self.progress.emit(job.id, job.progress, job.message)

    def _relay_done(self, job: Job) -> None:
        self._last_progress.pop(job.id, None)
        self._live.pop(job.id, None)
        if isinstance(job.error, Cancelled):
            self.cancelled.emit(job.id)
        elif job.error is not None:
            self.failed.emit(job.id, job.error_text or str(job.error))
        else:
            self.finished.emit(job.id, job.value)
