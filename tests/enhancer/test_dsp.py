"""dsp.stft and dsp.stream_resample: reconstruction, streaming = offline, exact delays."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_gan.dsp.stft import StreamingISTFT, StreamingSTFT, erb_band_edges, erb_filterbank, istft, stft
from desktop_gan.dsp.stream_resample import pair


def test_stft_istft_reconstructs_with_win_minus_hop_delay():
    x = np.random.default_rng(0).standard_normal(9600).astype(np.float32)
    y = istft(stft(x, 960, 480), 960, 480)
    np.testing.assert_allclose(y[480:], x[: len(y) - 480], atol=1e-5)


def test_streaming_stft_istft_equal_offline():
    rng = np.random.default_rng(1)
    x = rng.standard_normal(9600).astype(np.float32)
    s, frames, i = StreamingSTFT(960, 480), [], 0
    while i < len(x):
        n = int(rng.integers(1, 1000))
        frames.append(s.push(x[i:i + n]))
        i += n
    frames = np.concatenate(frames)
    np.testing.assert_allclose(frames, stft(x, 960, 480), atol=1e-4)
    inv = StreamingISTFT(960, 480)
    y = np.concatenate([inv.push_frame(f) for f in frames])
    np.testing.assert_allclose(y, istft(frames, 960, 480), atol=1e-5)


def test_erb_filterbank_covers_all_bins():
    edges = erb_band_edges(481, 48000, 40)
    assert edges[0] == 0 and edges[-1] == 481 and np.all(np.diff(edges) >= 2)
    pool, interp = erb_filterbank(481, 48000, 40)
    np.testing.assert_allclose(pool.sum(axis=1), 1.0, atol=1e-6)
    np.testing.assert_allclose(interp.sum(axis=0), 1.0, atol=1e-6)  # unity band gains -> unity bins
    assert edges[20] < 481 // 4  # ERB spacing: half the bands below 6 kHz


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 96000])
def test_resampler_round_trip_delay_and_block_invariance(rate):
    up, down, k = pair(rate, 48000)
    x = np.zeros((rate // 4, 1), np.float32)
    x[500] = 1.0
    y = down.process(up.process(x))
    assert int(np.argmax(np.abs(y[:, 0]))) == 500 + k
    rng = np.random.default_rng(rate)
    s = rng.standard_normal((rate // 4, 2)).astype(np.float32)
    a1, b1, _ = pair(rate, 48000)
    whole = b1.process(a1.process(s))
    a2, b2, _ = pair(rate, 48000)
    parts, i = [], 0
    while i < len(s):
        n = int(rng.integers(0, 300))
        parts.append(b2.process(a2.process(s[i:i + n])))
        i += n
    np.testing.assert_array_equal(np.concatenate(parts), whole)
    t = np.arange(rate // 4) / rate
    tone = np.sin(2 * np.pi * 1000 * t).astype(np.float32)[:, None]
    a3, b3, _ = pair(rate, 48000)
    back = b3.process(a3.process(tone))
    assert np.max(np.abs(back[k + 400:-400, 0] - tone[400:len(back) - k - 400, 0])) < 1e-3
