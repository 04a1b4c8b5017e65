"""Streaming STFT/ISTFT and an ERB band filterbank (numpy only).

Framing convention, shared by the offline functions, the streaming classes and the torch model:
frame ``k`` covers input samples ``[(k+1)*hop - win, (k+1)*hop)`` (zeros before the start), so a frame
is complete as soon as its last hop has arrived. Analysis and synthesis windows are both a periodic
sqrt-Hann; with ``hop = win/2`` their product overlap-adds to exactly one, so ISTFT(STFT(x)) is ``x``
delayed by ``win - hop`` samples. A streaming processor that accepts blocks of any size adds one more
hop of buffering, for a total latency of ``win`` samples (20 ms at 48 kHz with a 960-sample window).
"""

from __future__ import annotations

import math

import numpy as np


def sqrt_hann(win: int) -> np.ndarray:
    n = np.arange(win)
    return np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * n / win)).astype(np.float32)


def dft_tables(win: int) -> tuple[np.ndarray, ...]:
    """Tables of a two-stage (Cooley-Tukey) DFT of ``win = n1 * n2`` samples, as float32 re/im pairs:
    ``w1`` (n1, n1) and ``w2`` (n2, n2) are the small DFT matrices, ``tw[b, k1] = exp(-2 pi i b k1 / win)``
    the twiddles. Sample ``n2 * a + b`` and bin ``k1 + n1 * k2`` are the two stages' indices; n2 is
    the largest factor up to sqrt(win). Used by ``runtime.frame_kernel``."""
    n2 = max(d for d in range(1, math.isqrt(win) + 1) if win % d == 0)  # 960: n1 = 32, n2 = 30
    n1 = win // n2
    w1 = np.exp(-2j * np.pi * np.outer(np.arange(n1), np.arange(n1)) / n1)
    w2 = np.exp(-2j * np.pi * np.outer(np.arange(n2), np.arange(n2)) / n2)
    tw = np.exp(-2j * np.pi * np.outer(np.arange(n2), np.arange(n1)) / win)
    f = np.float32
    return (w1.real.astype(f), w1.imag.astype(f), w2.real.astype(f), w2.imag.astype(f),
            tw.real.astype(f), tw.imag.astype(f))


def stft(x: np.ndarray, win: int, hop: int) -> np.ndarray:
    """Frames (T, win//2+1) complex64 of a 1-D signal; T = len(x)//hop (only whole hops)."""
    x = np.asarray(x, np.float32)
    xp = np.concatenate([np.zeros(win - hop, np.float32), x])
    t = len(x) // hop
    idx = np.arange(t)[:, None] * hop + np.arange(win)[None, :]
    return np.fft.rfft(xp[idx] * sqrt_hann(win), axis=-1).astype(np.complex64)


def istft(spec: np.ndarray, win: int, hop: int) -> np.ndarray:
    """Overlap-add synthesis; returns len = T*hop samples, equal to the input delayed by win-hop."""
    t = spec.shape[0]
    frames = np.fft.irfft(spec, n=win, axis=-1).astype(np.float32) * sqrt_hann(win)
    out = np.zeros((t + 1) * hop + win, np.float32)
    for k in range(t):
        out[k * hop: k * hop + win] += frames[k]
    return out[:t * hop]


class StreamingSTFT:
    """Push samples in any amount; get back the frames that completed (one per hop)."""

    def __init__(self, win: int, hop: int) -> None:
        self.win, self.hop = win, hop
        self.window = sqrt_hann(win)
        self.reset()

    def reset(self) -> None:
        self._buf = np.zeros(self.win - self.hop, np.float32)

    def push(self, x: np.ndarray) -> np.ndarray:
        buf = np.concatenate([self._buf, np.asarray(x, np.float32)])
        t = (len(buf) - (self.win - self.hop)) // self.hop
        if t <= 0:
            self._buf = buf
            return np.zeros((0, self.win // 2 + 1), np.complex64)
        idx = np.arange(t)[:, None] * self.hop + np.arange(self.win)[None, :]
        frames = np.fft.rfft(buf[idx] * self.window, axis=-1).astype(np.complex64)
        self._buf = buf[t * self.hop:]
        return frames


class StreamingISTFT:
    """Push spectral frames; get back ``hop`` finished samples per frame."""

    def __init__(self, win: int, hop: int) -> None:
        self.win, self.hop = win, hop
        self.window = sqrt_hann(win)
        self.reset()

    def reset(self) -> None:
        self._acc = np.zeros(self.win, np.float32)

    def push_frame(self, spec: np.ndarray) -> np.ndarray:
        frame = np.fft.irfft(spec, n=self.win).astype(np.float32) * self.window
        self._acc += frame
        out = self._acc[: self.hop].copy()
        self._acc = np.concatenate([self._acc[self.hop:], np.zeros(self.hop, np.float32)])
        return out


# --------------------------------------------------------------------------- ERB bands
def hz_to_erb(f):
    return 21.4 * np.log10(1.0 + 0.00437 * np.asarray(f, np.float64))


def erb_to_hz(e):
    return (10 ** (np.asarray(e, np.float64) / 21.4) - 1.0) / 0.00437


def erb_band_edges(n_bins: int, samplerate: int, n_bands: int, min_width: int = 2) -> np.ndarray:
    """Bin indices ``edges[0]=0 < ... < edges[n_bands]=n_bins`` on the ERB scale, each band at least
    ``min_width`` bins wide (the low bands would otherwise be narrower than one bin)."""
    nyq = samplerate / 2
    target = erb_to_hz(np.linspace(0, hz_to_erb(nyq), n_bands + 1)) / nyq * (n_bins - 1)
    edges = [0]
    for b in range(1, n_bands):
        remaining = n_bands - b
        e = max(int(round(target[b])), edges[-1] + min_width)
        e = min(e, n_bins - remaining * min_width)
        edges.append(e)
    edges.append(n_bins)
    return np.asarray(edges, np.int64)


def erb_filterbank(n_bins: int, samplerate: int, n_bands: int) -> tuple[np.ndarray, np.ndarray]:
    """(pool, interp): ``pool`` (n_bands, n_bins) averages bin powers into bands; ``interp``
    (n_bands, n_bins) spreads band gains back to bins with triangular overlap (columns sum to 1)."""
    edges = erb_band_edges(n_bins, samplerate, n_bands)
    pool = np.zeros((n_bands, n_bins), np.float32)
    for b in range(n_bands):
        pool[b, edges[b]:edges[b + 1]] = 1.0 / (edges[b + 1] - edges[b])
    centres = 0.5 * (edges[:-1] + edges[1:] - 1)
    interp = np.zeros((n_bands, n_bins), np.float32)
    bins = np.arange(n_bins)
    for i in bins:
        j = int(np.searchsorted(centres, i))
        if j == 0:
            interp[0, i] = 1.0
        elif j >= n_bands:
            interp[-1, i] = 1.0
        else:
            w = (i - centres[j - 1]) / (centres[j] - centres[j - 1])
            interp[j - 1, i], interp[j, i] = 1.0 - w, w
    return pool, interp
