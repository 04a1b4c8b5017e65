"""A preallocated single-producer/single-consumer ring buffer of float32 frames.

Made for the audio callback: ``write`` and ``read_into`` never allocate, never block and never log.
One thread writes, one thread reads; the counters are plain ints whose updates are atomic under the
GIL, and each side only advances its own counter after its copy is complete.
"""

from __future__ import annotations

import numpy as np


class RingBuffer:
    def __init__(self, capacity: int, channels: int = 1) -> None:
        if capacity <= 0 or channels <= 0:
            raise ValueError("capacity and channels must be positive")
        self.capacity = int(capacity)
        self.channels = int(channels)
        self._buf = np.zeros((self.capacity, self.channels), dtype=np.float32)
        self._written = 0  # total frames ever written (only the writer changes it)
        self._read = 0  # total frames ever read (only the reader changes it)
        self.overruns = 0  # frames dropped because the ring was full
        self.underruns = 0  # frames the reader wanted but were not there

    # -- state -----------------------------------------------------------------------------------
    @property
    def available(self) -> int:
        """Frames ready to read."""
        return self._written - self._read

    @property
    def free(self) -> int:
        return self.capacity - self.available

    def clear(self) -> None:
        """Drop unread frames. Call only from the reader side (or with both sides stopped)."""
        self._read = self._written

    # -- writer side -----------------------------------------------------------------------------
    def write(self, frames: np.ndarray) -> int:
        """Copy ``frames`` (n, channels) in; returns how many fit. Extra frames are counted as overruns."""
        n = min(len(frames), self.free)
        if n < len(frames):
            self.overruns += len(frames) - n
        if n == 0:
            return 0
        start = self._written % self.capacity
        first = min(n, self.capacity - start)
        self._buf[start : start + first] = frames[:first]
        if n > first:
            self._buf[: n - first] = frames[first:n]
        self._written += n
        return n

    # -- reader side -----------------------------------------------------------------------------
    def read_into(self, out: np.ndarray, count_underrun: bool = True) -> int:
        """Fill ``out`` (n, channels) from the ring; a shortfall is zero-filled and counted."""
        want = len(out)
        n = min(want, self.available)
        start = self._read % self.capacity
        first = min(n, self.capacity - start)
        if first:
            out[:first] = self._buf[start : start + first]
        if n > first:
            out[first:n] = self._buf[: n - first]
        if n < want:
            out[n:] = 0.0
            if count_underrun:
                self.underruns += want - n
        self._read += n
        return n

    def read(self, n: int) -> np.ndarray:
        """Allocating convenience read for non-realtime consumers (writer threads, workers)."""
        out = np.empty((min(n, self.available), self.channels), dtype=np.float32)
        self.read_into(out, count_underrun=False)
        return out
