"""Level meters: block peak/RMS without allocation (for audio callbacks) and dBFS helpers."""

from __future__ import annotations

import numpy as np

SILENCE_DB = -120.0


class BlockMeter:
    """Per-channel peak and RMS of blocks, computed into preallocated arrays.

    ``measure(block)`` writes the block's peak and RMS into ``self.peak`` / ``self.rms`` (float32,
    one value per channel) using a scratch buffer of ``max_frames``; longer blocks are measured in
    pieces. No numpy call here allocates a new array.
    """

    def __init__(self, channels: int, max_frames: int = 8192) -> None:
        self.channels = int(channels)
        self.peak = np.zeros(self.channels, np.float32)
        self.rms = np.zeros(self.channels, np.float32)
        self._scratch = np.zeros((max_frames, self.channels), np.float32)
        self._part = np.zeros(self.channels, np.float32)
        self._sumsq = np.zeros(self.channels, np.float32)

    def measure(self, block: np.ndarray) -> None:
        n = len(block)
        self.peak.fill(0.0)
        self._sumsq.fill(0.0)
        step = len(self._scratch)
        for start in range(0, n, step):
            part = block[start:start + step]
            s = self._scratch[: len(part)]
            np.abs(part, out=s)
            np.max(s, axis=0, out=self._part)
            np.maximum(self.peak, self._part, out=self.peak)
            np.multiply(s, s, out=s)
            np.sum(s, axis=0, out=self._part)
            np.add(self._sumsq, self._part, out=self._sumsq)
        if n:
            np.divide(self._sumsq, n, out=self.rms)
            np.sqrt(self.rms, out=self.rms)
        else:
            self.rms.fill(0.0)


def to_db(x: np.ndarray | float, floor_db: float = SILENCE_DB) -> np.ndarray:
    """Linear amplitude to dBFS, clipped below at ``floor_db``."""
    x = np.asarray(x, dtype=np.float64)
    with np.errstate(divide="ignore"):
        db = 20.0 * np.log10(np.maximum(x, 0.0))
    return np.maximum(db, floor_db)


class PeakHold:
    """Meter ballistics for display: instant attack, exponential release (dB per second)."""

    def __init__(self, channels: int, release_db_per_s: float = 20.0) -> None:
        self.release = float(release_db_per_s)
        self.db = np.full(int(channels), SILENCE_DB)

    def update(self, peak_linear: np.ndarray, dt: float) -> np.ndarray:
        new = to_db(peak_linear)
        decayed = self.db - self.release * max(float(dt), 0.0)
        self.db = np.maximum(new, np.maximum(decayed, SILENCE_DB))
        return self.db
