"""Meters and the soxr wrapper used by the audio layer."""

import numpy as np
import pytest

from desktop_gan.dsp.meters import BlockMeter, PeakHold, to_db
from desktop_gan.dsp.resample import resample, source_to_target


def test_block_meter_matches_numpy_across_pieces():
    rng = np.random.default_rng(0)
    block = rng.standard_normal((1000, 2)).astype(np.float32) * [0.1, 0.5]
    m = BlockMeter(2, max_frames=128)  # forces several pieces
    m.measure(block)
    np.testing.assert_allclose(m.peak, np.abs(block).max(axis=0), rtol=1e-6)
    np.testing.assert_allclose(m.rms, np.sqrt((block.astype(np.float64) ** 2).mean(axis=0)), rtol=1e-4)
    m.measure(np.zeros((0, 2), np.float32))
    assert not m.peak.any() and not m.rms.any()


def test_db_and_peak_hold():
    np.testing.assert_allclose(to_db([1.0, 0.5, 0.0]), [0.0, -6.0206, -120.0], atol=1e-3)
    h = PeakHold(1, release_db_per_s=20)
    assert h.update(np.array([1.0]), 0.0)[0] == pytest.approx(0.0)
    assert h.update(np.array([0.0]), 0.5)[0] == pytest.approx(-10.0)  # released 20 dB/s
    assert h.update(np.array([1.0]), 0.1)[0] == pytest.approx(0.0)  # instant attack


def test_resample_length_frequency_and_identity():
    t = np.arange(44100) / 44100
    x = np.stack([np.sin(2 * np.pi * 1000 * t)] * 2, axis=1).astype(np.float32)
    y = resample(x, 44100, 48000)
    assert y.shape == (48000, 2) and y.dtype == np.float32
    spec = np.abs(np.fft.rfft(y[:, 0]))
    assert np.argmax(spec) == 1000
    assert resample(x, 48000, 48000) is not None and np.array_equal(resample(x, 48000, 48000), x)
    assert resample(x[:, 0], 44100, 22050).shape == (22050,)
    assert source_to_target(44100, 44100, 48000) == 48000
    with pytest.raises(ValueError):
        resample(x, 0, 48000)
