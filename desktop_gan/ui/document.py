"""The open document: which file is shown, and the background jobs that prepare its views.

Two job threads (from ``workers``): ``files`` loads/saves and builds the peak pyramid,
``spectrogram`` computes tiles so a long file's spectrogram never queues behind a load. Each load
bumps a generation number; results of an older generation are dropped, and its queued tiles are
cancelled. All signals arrive on the GUI thread (QtJobs queues them across threads).
"""

from __future__ import annotations

import sys
from pathlib import Path

from PySide6.QtCore import QObject, Signal

from desktop_gan.dsp.spectrogram import SpectrogramParams, log_frequency_matrix, tile_plan
from desktop_gan.io.audiofile import Audio
from desktop_gan.ui.loader import (
    Prepared, pool_factors, prepare_audio, prepare_file, save_file, spectrogram_tile, tile_order,
)
from desktop_gan.workers.jobs import JobThread
from desktop_gan.workers.qt_bridge import QtJobs

TILE_COLS = 1024


def user_message(error_text: str) -> str:
    """QtJobs reports 'AudioFileError: name: reason'; the user needs only 'name: reason'."""
    for prefix in ("AudioFileError: ",):
        if error_text.startswith(prefix):
            return error_text[len(prefix):]
    return error_text


def lower_thread_priority(niceness: int = 10) -> bool:
    """Run as a job: the view threads yield the CPU to the GUI thread on a busy machine (Linux
    applies ``setpriority`` to the calling thread; elsewhere this is a no-op)."""
    import os
    import threading

    if not hasattr(os, "setpriority") or not sys.platform.startswith("linux"):
        return False
    try:
        os.setpriority(os.PRIO_PROCESS, threading.get_native_id(), niceness)
        return True
    except OSError:
        return False


class Document(QObject):
    loading = Signal(str)  # path
    loaded = Signal(object)  # Prepared
    loadFailed = Signal(str, str)  # path, message
    progress = Signal(float, str)
    tilesPlanned = Signal(int, object, int, object)  # samplerate, SpectrogramParams, tile count, pooling
    tileReady = Signal(object)  # loader.Tile
    tilesDone = Signal()
    saved = Signal(str)
    saveFailed = Signal(str, str)

    def __init__(self, parent: QObject | None = None, params: SpectrogramParams | None = None) -> None:
        super().__init__(parent)
        self.params = params or SpectrogramParams()
        self._files_thread = JobThread("files").start()
        self._spec_thread = JobThread("spectrogram").start()
        for jt in (self._files_thread, self._spec_thread):
            jt.submit(lower_thread_priority)
        self.files = QtJobs(self._files_thread, self)
        self.spec = QtJobs(self._spec_thread, self)
        self.files.finished.connect(self._on_file_done)
        self.files.failed.connect(self._on_file_failed)
        self.files.progress.connect(lambda _id, f, msg: self.progress.emit(f, msg))
        self.spec.finished.connect(self._on_tile)
        self.spec.failed.connect(lambda job, _msg: self._tile_gone(job))
        self.spec.cancelled.connect(self._tile_gone)
        self.current: Prepared | None = None
        self.generation = 0
        self._pending: dict[int, tuple[str, str]] = {}  # job id -> (kind, path)
        self._load_job: int | None = None
        self._tile_jobs: set[int] = set()
        self.tiles_received = 0
        self._matrices: dict = {}  # (samplerate, params) -> Job computing the band matrix

    @property
    def audio(self) -> Audio | None:
        return self.current.audio if self.current else None

    @property
    def path(self) -> Path | None:
        return self.current.audio.path if self.current else None

    @property
    def busy(self) -> bool:
        return self._load_job is not None or bool(self._tile_jobs)

    # -- load --------------------------------------------------------------------------------
    def open(self, path: str | Path) -> int:
        path = str(path)
        if self._load_job is not None:
            self.files.cancel(self._load_job)
        job = self.files.submit(prepare_file, path)
        self._pending[job] = ("load", path)
        self._load_job = job
        self.loading.emit(path)
        return job

    def show_audio(self, audio: Audio) -> int:
        """Show audio that is already in memory (e.g. rendered by a panel)."""
        job = self.files.submit(prepare_audio, audio)
        self._pending[job] = ("load", str(audio.path or ""))
        self._load_job = job
        return job

    def _on_file_done(self, job: int, value) -> None:
        kind, path = self._pending.pop(job, ("?", ""))
        if kind == "save":
            self.saved.emit(str(value))
            return
        if job != self._load_job:
            return  # superseded by a newer load
        self._load_job = None
        self.current = value
        self.generation += 1
        self.loaded.emit(value)

    def _on_file_failed(self, job: int, message: str) -> None:
        kind, path = self._pending.pop(job, ("?", ""))
        if kind == "save":
            self.saveFailed.emit(path, user_message(message))
            return
        if job == self._load_job:
            self._load_job = None
            self.loadFailed.emit(path, user_message(message))

    # -- spectrogram tiles -------------------------------------------------------------------
    def start_tiles(self, visible: tuple[float, float], lut) -> None:
        """Queue every tile of the current audio, the visible ones first (``lut``: (256, 3) uint8)."""
        for job in self._tile_jobs:
            self.spec.cancel(job)
        self._tile_jobs.clear()
        self.tiles_received = 0
        if self.current is None:
            return
        sr = self.current.audio.samplerate
        params = self.params
        plan = tile_plan(len(self.current.mono), params, TILE_COLS)
        total = sum(n for _, n in plan)
        pool = pool_factors(total, TILE_COLS)
        self.tilesPlanned.emit(sr, params, len(plan), pool)
        gen = self.generation
        key = (sr, params)
        if key not in self._matrices:  # a 256-band loop: built on the worker, then cached
            self._matrices[key] = self._spec_thread.submit(log_frequency_matrix, sr, params)
        matrix_job = self._matrices[key]
        mono = self.current.mono

        def tile(c0, n, ctx=None):
            return spectrogram_tile(mono, sr, c0, n, params, matrix_job.result(), gen, lut, pool, ctx=ctx)

        for c0, n in tile_order(plan, params.hop, sr, visible):
            self._tile_jobs.add(self.spec.submit(tile, c0, n))

    def _on_tile(self, job: int, tile) -> None:
        self._tile_jobs.discard(job)
        if tile.generation != self.generation:
            return
        self.tiles_received += 1
        self.tileReady.emit(tile)
        if not self._tile_jobs:
            self.tilesDone.emit()

    def _tile_gone(self, job: int) -> None:
        if job in self._tile_jobs:
            self._tile_jobs.discard(job)
            if not self._tile_jobs:
                self.tilesDone.emit()

    # -- save --------------------------------------------------------------------------------
    def save_as(self, path: str | Path, overwrite: bool = False) -> int | None:
        if self.current is None:
            return None
        a = self.current.audio
        job = self.files.submit(save_file, str(path), a.data, a.samplerate, a.path, overwrite)
        self._pending[job] = ("save", str(path))
        return job

    def shutdown(self) -> None:
        """Cancel what is queued and wait for both threads (Qt aborts if they outlive the app)."""
        self._spec_thread.shutdown(wait=True)
        self._files_thread.shutdown(wait=True)
