"""Display DSP: the peak pyramid and the tiled log-frequency spectrogram."""

import numpy as np
import pytest

from desktop_gan.dsp.peaks import build_pyramid, envelope_xy
from desktop_gan.dsp.spectrogram import (
    SpectrogramParams,
    band_centers,
    compute_tile,
    log_frequency_matrix,
    n_columns,
    tile_plan,
)


def _signal(frames=200_003, ch=2, seed=0):
    rng = np.random.default_rng(seed)
    return (rng.standard_normal((frames, ch)) * 0.3).astype(np.float32)


def test_pyramid_levels_hold_true_min_max():
    x = _signal()
    pyr = build_pyramid(x, base=64, factor=4)
    assert len(pyr.levels) >= 3
    for level, (lo, hi) in enumerate(pyr.levels):
        size = pyr.bin_size(level)
        assert lo.shape == (-(-len(x) // size), 2)
        for b in (0, 7, len(lo) - 1):  # includes the short last bin
            seg = x[b * size:(b + 1) * size]
            np.testing.assert_array_equal(lo[b], seg.min(axis=0))
            np.testing.assert_array_equal(hi[b], seg.max(axis=0))


def test_view_bounds_every_sample_and_stays_small():
    x = _signal()
    pyr = build_pyramid(x)
    for start, end, width in [(0, len(x), 800), (1234, 150_000, 500), (5000, 5600, 1000), (100, 40_000, 900)]:
        v = pyr.view(start, end, width)
        assert len(v.x) <= 2 * width * 4 + 2, (start, end, len(v.x))
        if v.raw:
            np.testing.assert_array_equal(v.lo, x[start:end])
            continue
        # every sample in range lies inside the envelope of the bin containing it
        idx = np.arange(start, end)
        b = np.searchsorted(v.x, idx, side="right") - 1
        assert (b >= 0).all()
        assert (x[idx] >= v.lo[b] - 1e-7).all() and (x[idx] <= v.hi[b] + 1e-7).all()
        # the global extremes in range are reached
        assert (v.hi.max(axis=0) >= x[start:end].max(axis=0)).all()


def test_view_picks_coarser_levels_when_zoomed_out():
    pyr = build_pyramid(_signal(1_000_000, 1))
    wide = pyr.view(0, 1_000_000, 500)
    narrow = pyr.view(0, 50_000, 500)
    assert wide.samples_per_bin > narrow.samples_per_bin
    assert pyr.view(0, 1500, 500).raw
    x, y = envelope_xy(wide)
    assert len(x) == len(y) == 2 * len(wide.x)


def test_pyramid_of_empty_and_tiny_signals():
    pyr = build_pyramid(np.zeros((0, 1), np.float32))
    assert pyr.view(0, 10, 100).x.size == 0
    tiny = build_pyramid(np.ones((10, 1), np.float32))
    v = tiny.view(0, 10, 100)
    assert v.raw and len(v.x) == 10


def test_sine_peaks_in_the_right_log_band_at_0_db():
    sr = 48000
    p = SpectrogramParams()
    t = np.arange(sr) / sr
    x = np.sin(2 * np.pi * 1000 * t).astype(np.float32)
    db = compute_tile(x, sr, 20, 10, p)
    assert db.shape == (10, p.n_bins)
    centers = band_centers(sr, p)
    peak = centers[db.mean(axis=0).argmax()]
    assert abs(np.log2(peak / 1000)) < 0.1
    assert -3.0 < db.max() < 1.0
    assert db.mean(axis=0)[np.abs(np.log2(centers / 1000)) > 1].max() < -60


def test_tiles_join_without_seams():
    sr = 16000
    p = SpectrogramParams(n_fft=512, hop=128, n_bins=64)
    x = _signal(10_000, 1)[:, 0]
    whole = compute_tile(x, sr, 0, n_columns(len(x), p.hop), p)
    parts = [compute_tile(x, sr, c0, n, p) for c0, n in tile_plan(len(x), p, tile_cols=17)]
    np.testing.assert_allclose(np.concatenate(parts), whole, atol=1e-3)
    assert sum(n for _, n in tile_plan(len(x), p, 17)) == n_columns(len(x), p.hop)


def test_silence_sits_at_the_floor_and_matrix_covers_each_band():
    p = SpectrogramParams()
    db = compute_tile(np.zeros(8000, np.float32), 48000, 0, 4, p)
    assert np.all(db == pytest.approx(p.floor_db))
    m = log_frequency_matrix(48000, p)
    np.testing.assert_allclose(m.sum(axis=0), 1.0, atol=1e-5)
