"""Recording to disk: the input callback pushes frames into a ring, a writer thread streams them out.

The writer thread (the audio layer's one accepted thread) drains the ring every ~50 ms and, every
~0.25 s, flushes the file and rewrites its header (libsndfile's ``SFC_UPDATE_HEADER_NOW``), so a
process killed with ``kill -9`` leaves a valid WAV holding everything up to the last flush. WAV files
are 32-bit float; ``.flac`` files are 24-bit FLAC (a FLAC killed mid-way lacks its final frame count).
A marker beside the take (``io/take_recovery.py``) says it is being recorded until the file is
closed, so the next start can offer a take that a crash interrupted.
"""

from __future__ import annotations

import threading
from pathlib import Path

import numpy as np
import soundfile as sf

from desktop_gan.core.ringbuffer import RingBuffer
from desktop_gan.io.take_recovery import clear_marker, write_marker

SFC_UPDATE_HEADER_NOW = 0x1060  # libsndfile's sf_command: rewrite the header for the data so far
FORMATS = {".wav": ("WAV", "FLOAT"), ".flac": ("FLAC", "PCM_24")}


class RecorderError(RuntimeError):
    pass


class Recorder:
    """One recording: ``push`` from the input callback, ``stop`` from any other thread."""

    def __init__(self, path: Path, samplerate: int, channels: int, ring_seconds: float = 8.0,
                 flush_interval: float = 0.25, poll_interval: float = 0.05) -> None:
        self.path = Path(path)
        suffix = self.path.suffix.lower()
        if suffix not in FORMATS:
            raise RecorderError(f"cannot record to {self.path.name}: use a .wav or .flac file name")
        if not self.path.parent.is_dir():
            raise RecorderError(f"cannot record to {self.path}: folder {self.path.parent} does not exist")
        self.samplerate, self.channels = int(samplerate), int(channels)
        self.ring = RingBuffer(int(ring_seconds * self.samplerate), self.channels)
        self.frames_written = 0
        self.error: str | None = None
        self._flush_interval, self._poll = flush_interval, poll_interval
        fmt, subtype = FORMATS[suffix]
        try:
            self._file = sf.SoundFile(self.path, "w", self.samplerate, self.channels, subtype, format=fmt)
        except (sf.LibsndfileError, OSError) as exc:
            raise RecorderError(f"cannot record to {self.path}: {exc}") from exc
        try:
            write_marker(self.path, self.samplerate, self.channels)
        except OSError:
            pass  # the take still records; only a crash recovery offer would be lost
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="desktop_gan-recorder", daemon=True)
        self._thread.start()

    # -- audio callback side ---------------------------------------------------------------------
    def push(self, frames: np.ndarray) -> None:
        """Realtime-safe: copy frames into the ring (overflow is counted in ``ring.overruns``)."""
        self.ring.write(frames)

    # -- writer thread ---------------------------------------------------------------------------
    def _drain(self) -> None:
        while self.ring.available and self.error is None:
            block = self.ring.read(min(self.ring.available, self.samplerate))
            try:
                self._file.write(block)
            except Exception as exc:  # disk full, file removed, ...
                self.error = f"recording stopped: cannot write {self.path.name}: {exc}"
                return
            self.frames_written += len(block)

    def _sync(self) -> None:
        if self.error is not None:
            return
        try:
            self._file.flush()
            sf._snd.sf_command(self._file._file, SFC_UPDATE_HEADER_NOW, sf._ffi.NULL, 0)
        except Exception as exc:
            self.error = f"recording stopped: cannot write {self.path.name}: {exc}"

    def _run(self) -> None:
        since_flush = 0.0
        while not self._stop.wait(self._poll):
            self._drain()
            since_flush += self._poll
            if since_flush >= self._flush_interval:
                self._sync()
                since_flush = 0.0
        self._drain()
        try:
            self._file.close()
        except Exception as exc:
            self.error = self.error or f"recording stopped: cannot finish {self.path.name}: {exc}"
            return  # the marker stays: the next start offers to repair the file
        clear_marker(self.path)

    def stop(self) -> Path:
        """Write what is left, close the file and return its path. Call after the callback stops pushing."""
        self._stop.set()
        self._thread.join()
        return self.path

    @property
    def overruns(self) -> int:
        return self.ring.overruns
