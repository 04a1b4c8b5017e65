"""Whole-buffer resampling with soxr (high quality), for loading clips at the device rate.

Streaming resampling of live audio lives in :mod:`desktop_gan.dsp.stream_resample`; this wrapper is
for buffers that are converted once (the player's loaded clip).
"""

from __future__ import annotations

import numpy as np
import soxr


def resample(data: np.ndarray, rate_in: int, rate_out: int, quality: str = "HQ") -> np.ndarray:
    """Resample ``data`` (frames,) or (frames, channels) from ``rate_in`` to ``rate_out`` Hz.

    Returns float32 of the same rank. The length is ``round(frames * rate_out / rate_in)``.
    """
    if rate_in <= 0 or rate_out <= 0:
        raise ValueError(f"sample rates must be positive, got {rate_in} and {rate_out}")
    x = np.asarray(data, dtype=np.float32)
    if x.ndim not in (1, 2):
        raise ValueError(f"expected (frames,) or (frames, channels), got shape {x.shape}")
    if int(rate_in) == int(rate_out) or len(x) == 0:
        return np.ascontiguousarray(x)
    y = soxr.resample(np.ascontiguousarray(x), int(rate_in), int(rate_out), quality=quality)
    return np.ascontiguousarray(y, dtype=np.float32)


def source_to_target(frame: int, rate_in: int, rate_out: int) -> int:
    """Map a frame index at ``rate_in`` to the nearest frame at ``rate_out``."""
    return int(round(int(frame) * int(rate_out) / int(rate_in)))
