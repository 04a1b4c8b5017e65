"""Display spectrogram: numpy STFT, log-frequency bins, dB, computed in tiles (numpy only).

Column ``k`` is a Hann-windowed frame centred on sample ``k * hop`` (zeros beyond the ends), so a
tile of columns ``[c0, c0 + n)`` can be computed on its own from the samples around it and tiles
join without seams. Power is normalised so a full-scale sine reads about 0 dB. Frequencies map to
``n_bins`` log-spaced bands between ``fmin`` and ``fmax``: a band that spans several FFT bins
averages their power, a narrow low band interpolates between neighbouring FFT bins.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class SpectrogramParams:
    n_fft: int = 2048
    hop: int = 512
    n_bins: int = 256
    fmin: float = 30.0
    fmax: float | None = None  # None = Nyquist
    floor_db: float = -110.0

    def top(self, samplerate: int) -> float:
        return min(self.fmax or samplerate / 2.0, samplerate / 2.0)


def band_edges(samplerate: int, params: SpectrogramParams) -> np.ndarray:
    """``n_bins + 1`` log-spaced band edges in Hz."""
    return np.geomspace(params.fmin, params.top(samplerate), params.n_bins + 1)


def band_centers(samplerate: int, params: SpectrogramParams) -> np.ndarray:
    e = band_edges(samplerate, params)
    return np.sqrt(e[:-1] * e[1:])


def log_frequency_matrix(samplerate: int, params: SpectrogramParams) -> np.ndarray:
    """Weights (n_fft//2+1, n_bins): power spectrum @ matrix -> power per log band."""
    n_lin = params.n_fft // 2 + 1
    freqs = np.arange(n_lin) * samplerate / params.n_fft
    df = samplerate / params.n_fft
    edges = band_edges(samplerate, params)
    m = np.zeros((n_lin, params.n_bins), np.float32)
    for b in range(params.n_bins):
        lo, hi = edges[b], edges[b + 1]
        inside = np.nonzero((freqs >= lo) & (freqs < hi))[0]
        if len(inside) >= 2:
            m[inside, b] = 1.0 / len(inside)
        else:  # narrower than the FFT resolution: linear interpolation at the band centre
            pos = np.sqrt(lo * hi) / df
            i0 = int(np.floor(pos))
            frac = pos - i0
            if i0 + 1 < n_lin:
                m[i0, b] += 1.0 - frac
                m[i0 + 1, b] += frac
            else:
                m[n_lin - 1, b] = 1.0
    return m


def n_columns(frames: int, hop: int) -> int:
    return max(1, -(-int(frames) // hop))


def tile_plan(frames: int, params: SpectrogramParams, tile_cols: int = 1024) -> list[tuple[int, int]]:
    """(first column, column count) of each tile covering the whole signal."""
    total = n_columns(frames, params.hop)
    return [(c, min(tile_cols, total - c)) for c in range(0, total, tile_cols)]


def compute_tile(
    mono: np.ndarray,
    samplerate: int,
    col0: int,
    n_cols: int,
    params: SpectrogramParams,
    matrix: np.ndarray | None = None,
) -> np.ndarray:
    """dB values (n_cols, n_bins) float32 for columns ``[col0, col0 + n_cols)`` of ``mono``."""
    mono = np.asarray(mono, dtype=np.float32)
    if matrix is None:
        matrix = log_frequency_matrix(samplerate, params)
    n_fft, hop = params.n_fft, params.hop
    half = n_fft // 2
    s0 = col0 * hop - half
    s1 = (col0 + n_cols - 1) * hop + half
    seg = np.zeros(s1 - s0, np.float32)
    a, b = max(0, s0), min(len(mono), s1)
    if b > a:
        seg[a - s0: b - s0] = mono[a:b]
    frames = np.lib.stride_tricks.sliding_window_view(seg, n_fft)[::hop][:n_cols]
    window = np.hanning(n_fft + 1)[:-1].astype(np.float32)  # periodic Hann
    spec = np.fft.rfft(frames * window, axis=-1)
    power = (spec.real**2 + spec.imag**2).astype(np.float32) * (2.0 / window.sum()) ** 2
    bands = power @ matrix
    floor = 10.0 ** (params.floor_db / 10.0)
    return (10.0 * np.log10(np.maximum(bands, floor))).astype(np.float32)


def to_mono(data: np.ndarray) -> np.ndarray:
    data = np.asarray(data, dtype=np.float32)
    if data.ndim == 1:
        return data
    out = data[:, 0].copy()
    for c in range(1, data.shape[1]):  # column sums: far faster than mean(axis=1) on (N, ch)
        out += data[:, c]
    if data.shape[1] > 1:
        out *= np.float32(1.0 / data.shape[1])
    return out
