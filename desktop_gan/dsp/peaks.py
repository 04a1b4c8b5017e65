"""Min/max peak pyramid for drawing long waveforms at any zoom (numpy only).

Level 0 holds the min and max of every ``base`` samples; each further level merges ``factor``
bins of the one below. Drawing a range ``[start, end)`` at ``width`` pixels picks the coarsest
level that still has at least ``2 * width`` bins in that range (never finer than needed), so a
10-minute 48 kHz file draws from a few thousand points at any zoom. Below ``base`` samples per
pixel the raw samples are returned instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass
class PeakView:
    """What a view draws: bin positions (in frames) and per-channel min/max, or raw samples."""

    x: np.ndarray  # float64 (n,) frame positions (bin starts, or sample indices when raw)
    lo: np.ndarray  # float32 (n, channels)
    hi: np.ndarray  # float32 (n, channels); equal to lo when raw
    raw: bool
    samples_per_bin: int


@dataclass
class PeakPyramid:
    frames: int
    channels: int
    base: int
    factor: int
    levels: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)  # (lo, hi) (bins, ch)
    data: np.ndarray | None = None  # the samples themselves (not copied), for raw views

    def bin_size(self, level: int) -> int:
        return self.base * self.factor**level

    def view(self, start: float, end: float, width: int) -> PeakView:
        """Min/max (or raw samples) covering frames ``[start, end)`` for ``width`` pixels."""
        width = max(1, int(width))
        start = int(max(0, np.floor(start)))
        end = int(min(self.frames, np.ceil(end)))
        if end <= start:
            empty = np.zeros((0, self.channels), np.float32)
            return PeakView(np.zeros(0), empty, empty, True, 1)
        span = end - start
        if self.data is not None and (span <= 4 * width or not self.levels):
            # Few enough samples: draw them all (one point per sample).
            seg = self.data[start:end]
            return PeakView(np.arange(start, end, dtype=np.float64), seg, seg, True, 1)
        if self.data is not None and span / self.base < 2 * width:
            # Between raw samples and level 0: reduce the few samples in view on the fly.
            size = max(2, span // (2 * width))
            s0 = start - start % size
            seg = self.data[s0:end]
            lo, hi = _reduce(seg, size, np.min), _reduce(seg, size, np.max)
            x = s0 + np.arange(len(lo), dtype=np.float64) * size
            return PeakView(x, lo, hi, False, size)
        level = 0
        for lv in range(len(self.levels)):
            if span / self.bin_size(lv) >= width:
                level = lv
            else:
                break
        size = self.bin_size(level)
        lo, hi = self.levels[level]
        b0 = start // size
        b1 = min(len(lo), -(-end // size))
        lo, hi = lo[b0:b1], hi[b0:b1]
        group = len(lo) // (2 * width)
        if group >= 2:  # between levels: merge bins so at most ~2 bins per pixel are drawn
            lo, hi = _reduce(lo, group, np.min), _reduce(hi, group, np.max)
            size *= group
        x = b0 * self.bin_size(level) + np.arange(len(lo), dtype=np.float64) * size
        return PeakView(x, lo, hi, False, size)


def _reduce(a: np.ndarray, n: int, fn) -> np.ndarray:
    """Reduce (frames, ch) in groups of ``n`` along axis 0 with ``fn`` (last group may be short).

    Works channel by channel on contiguous copies: reducing the inner axis of a (bins, n) block
    is several times faster than reducing the middle axis of an interleaved (bins, n, ch) view.
    """
    frames, ch = a.shape
    whole = frames // n
    out = np.empty((whole + (1 if frames % n else 0), ch), a.dtype)
    for c in range(ch):
        col = np.ascontiguousarray(a[:, c])
        if whole:
            out[:whole, c] = fn(col[: whole * n].reshape(whole, n), axis=1)
        if frames % n:
            out[whole, c] = fn(col[whole * n:])
    return out


def _min_max(a: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    """Both reductions of one chunk from a single contiguous copy per channel."""
    frames, ch = a.shape
    whole = frames // n
    rows = whole + (1 if frames % n else 0)
    lo, hi = np.empty((rows, ch), a.dtype), np.empty((rows, ch), a.dtype)
    for c in range(ch):
        col = np.ascontiguousarray(a[:, c])
        if whole:
            blocks = col[: whole * n].reshape(whole, n)
            blocks.min(axis=1, out=lo[:whole, c])
            blocks.max(axis=1, out=hi[:whole, c])
        if frames % n:
            lo[whole, c], hi[whole, c] = col[whole * n:].min(), col[whole * n:].max()
    return lo, hi


def build_pyramid(
    data: np.ndarray,
    base: int = 64,
    factor: int = 4,
    min_bins: int = 256,
    progress=None,
    check_cancelled=None,
    chunk: int = 1 << 20,
) -> PeakPyramid:
    """Build the pyramid of ``data`` (frames, channels) float32.

    Level 0 is computed in chunks so ``progress(fraction)`` and ``check_cancelled()`` (both
    optional) are called regularly; higher levels are cheap reductions of the one below.
    """
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 1:
        data = data[:, None]
    frames, channels = data.shape
    pyr = PeakPyramid(frames, channels, base, factor, data=data)
    if frames == 0:
        return pyr
    chunk = max(base, chunk - chunk % base)
    los, his = [], []
    for s in range(0, frames, chunk):
        lo_c, hi_c = _min_max(data[s: s + chunk], base)
        los.append(lo_c)
        his.append(hi_c)
        if check_cancelled is not None:
            check_cancelled()
        if progress is not None:
            progress(min(1.0, (s + chunk) / frames))
    lo, hi = np.concatenate(los), np.concatenate(his)
    pyr.levels.append((lo, hi))
    while len(lo) > min_bins:
        lo, hi = _reduce(lo, factor, np.min), _reduce(hi, factor, np.max)
        pyr.levels.append((lo, hi))
    return pyr


def envelope_xy(view: PeakView, offset: float = 0.0, scale: float = 1.0, channel: int = 0):
    """Interleave a channel's min/max into one zig-zag polyline (x, y) that reads as a filled
    waveform when drawn as a connected line; raw views pass through unchanged."""
    if view.raw:
        return view.x, view.lo[:, channel] * scale + offset
    n = len(view.x)
    x = np.empty(2 * n, np.float64)
    y = np.empty(2 * n, np.float32)
    half = view.samples_per_bin / 2.0
    x[0::2] = view.x + half
    x[1::2] = view.x + half
    y[0::2] = view.lo[:, channel] * scale + offset
    y[1::2] = view.hi[:, channel] * scale + offset
    return x, y
