"""Job functions behind the views (plain Python, run on worker threads via QtJobs).

Nothing here touches Qt: each function takes its inputs, reports progress through ``ctx`` and
returns plain data that the GUI thread only has to hand to a view.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_gan.dsp.peaks import PeakPyramid, build_pyramid
from desktop_gan.dsp.spectrogram import SpectrogramParams, compute_tile, to_mono
from desktop_gan.io.audiofile import Audio, load_audio, save_audio

DB_RANGE = (-100.0, -10.0)  # what the spectrogram colour map spans


@dataclass
class Prepared:
    audio: Audio
    pyramid: PeakPyramid
    mono: np.ndarray  # float32 (frames,), for the spectrogram


def prepare_file(path: str | Path, ctx=None) -> Prepared:
    """Load, validate and build the peak pyramid (raises AudioFileError with a user message)."""
    if ctx is not None:
        ctx.progress(0.0, f"Reading {Path(path).name}")
    audio = load_audio(path)
    if ctx is not None:
        ctx.check_cancelled()
    return prepare_audio(audio, ctx)


def prepare_audio(audio: Audio, ctx=None) -> Prepared:
    progress = (lambda f: ctx.progress(0.3 + 0.7 * f, "Building overview")) if ctx is not None else None
    check = ctx.check_cancelled if ctx is not None else None
    pyramid = build_pyramid(audio.data, progress=progress, check_cancelled=check)
    return Prepared(audio, pyramid, to_mono(audio.data))


def db_to_u8(db: np.ndarray, lo: float = DB_RANGE[0], hi: float = DB_RANGE[1]) -> np.ndarray:
    """Map dB to 0..255 for the colour map."""
    scaled = (np.asarray(db, np.float32) - lo) * (255.0 / (hi - lo))
    return np.clip(scaled, 0, 255).astype(np.uint8)


@dataclass
class Tile:
    generation: int
    col0: int
    rgb: np.ndarray  # uint8 (n_bins, n_cols, 3), row 0 = lowest band
    pooled: dict[int, np.ndarray]  # k -> uint8 (n_bins, ceil(n_cols / k), 3), max over k columns


def spectrogram_tile(
    mono: np.ndarray,
    samplerate: int,
    col0: int,
    n_cols: int,
    params: SpectrogramParams,
    matrix: np.ndarray,
    generation: int,
    lut: np.ndarray,
    pool: tuple[int, ...] = (),
    ctx=None,
) -> Tile:
    """One spectrogram tile, coloured with ``lut`` (256, 3), plus max-pooled copies for zoomed-out
    views (pooling the dB index before colouring keeps the loudest column of each group)."""
    if ctx is not None:
        ctx.check_cancelled()
    idx = db_to_u8(compute_tile(mono, samplerate, col0, n_cols, params, matrix)).T  # (bins, cols)
    pooled = {}
    for k in pool:
        pad = (-n_cols) % k
        src = np.pad(idx, ((0, 0), (0, pad)), mode="edge") if pad else idx
        pooled[k] = np.ascontiguousarray(lut[src.reshape(idx.shape[0], -1, k).max(axis=2)])
    return Tile(generation, col0, np.ascontiguousarray(lut[idx]), pooled)


def pool_factors(total_cols: int, tile_cols: int, min_cols: int = 512) -> tuple[int, ...]:
    """Zoomed-out levels: every 8x pooling (dividing the tile width) that keeps >= min_cols."""
    ks, k = [], 8
    while tile_cols % k == 0 and total_cols / k >= min_cols:
        ks.append(k)
        k *= 8
    return tuple(ks)


def tile_order(plan: list[tuple[int, int]], hop: int, samplerate: int, visible: tuple[float, float]):
    """Tiles in the visible range first (left to right), then the rest by distance to it."""
    a, b = visible

    def key(t):
        c0, n = t
        t0, t1 = c0 * hop / samplerate, (c0 + n) * hop / samplerate
        if t1 >= a and t0 <= b:
            return (0, t0)
        return (1, min(abs(t0 - b), abs(t1 - a)))

    return sorted(plan, key=key)


def save_file(path: str | Path, data: np.ndarray, samplerate: int, source: str | Path | None,
              overwrite: bool, ctx=None) -> Path:
    """Atomic save that never replaces ``source`` (raises AudioFileError with a user message)."""
    if ctx is not None:
        ctx.progress(0.0, f"Saving {Path(path).name}")
    return save_audio(path, data, samplerate, source=source, overwrite=overwrite)
