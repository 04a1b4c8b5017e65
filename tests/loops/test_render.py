"""The loop renderer: exact length, hits on the grid, seamless wrap, determinism, stems, no clipping."""

import numpy as np
import pytest

from desktop_gan.core.params import LoopParams
from desktop_gan.runtime.loops import PEAK, render_loop, render_stems

from .conftest import click, detect_onsets


def one_part(steps, hits, vel=1.0):
    v = np.zeros((1, steps))
    v[0, hits] = vel
    return v


@pytest.mark.parametrize("bpm,bars,sr", [(60, 1, 48000), (97.3, 2, 44100), (120, 4, 48000), (173, 8, 44100),
                                         (200, 1, 44100), (133.33, 8, 48000)])
def test_exact_length(bpm, bars, sr):
    p = LoopParams(bpm=bpm, bars=bars, samplerate=sr)
    mix, stems = render_loop([click()], one_part(bars * 16, [0]), None, p)
    assert len(mix) == p.length_samples == round(bars * 4 * 60 / bpm * sr)
    assert stems.shape == (1, p.length_samples)


@pytest.mark.parametrize("bpm,swing,sr", [(90, 0.0, 48000), (127, 0.33, 44100), (174, 0.6, 48000)])
def test_onsets_on_the_grid(bpm, swing, sr):
    p = LoopParams(bpm=bpm, bars=2, swing=swing, samplerate=sr)
    hits = [0, 3, 5, 8, 13, 18, 22, 27, 31]
    mix, _ = render_loop([click(sr=sr, n=sr // 40)], one_part(32, hits), None, p)
    found = detect_onsets(mix, sr)
    sixteenth = 60.0 / bpm / 4
    expected = [(s + (swing if s % 2 else 0.0)) * sixteenth for s in hits]
    assert len(found) == len(hits)
    for f, e in zip(found, expected):
        assert abs(f / sr - e) <= 0.005


def test_timing_offsets_move_hits():
    p = LoopParams(bpm=120, bars=1)
    off = np.zeros((1, 16))
    off[0, 4] = 0.25
    mix, _ = render_loop([click()], one_part(16, [4]), off, p)
    step = p.length_samples / 16
    assert abs(detect_onsets(mix, 48000)[0] - round(4.25 * step)) <= 1


@pytest.mark.parametrize("bpm,bars", [(200, 1), (140, 2)])
def test_tails_wrap_seamlessly(bpm, bars):
    """The wrapped loop equals the steady state of the pattern played forever (no click, no gap)."""
    p = LoopParams(bpm=bpm, bars=bars, swing=0.2)
    rng = np.random.default_rng(0)
    t = np.arange(72000) / 48000
    long_tail = (rng.standard_normal(72000) * np.exp(-t * 2)).astype(np.float32)  # rings 1.5 s
    vel = np.zeros((2, bars * 16))
    vel[0, [0, 7, bars * 16 - 1]] = [1.0, 0.6, 0.8]
    vel[1, 2::4] = 0.7
    sounds = [long_tail, click()]
    loop = render_stems(sounds, vel, None, p)
    forever = render_stems(sounds, vel, None, p, cycles=4)
    n = p.length_samples
    np.testing.assert_allclose(loop, forever[:, 2 * n:3 * n], atol=1e-9)
    # and played back to back it joins smoothly: the step across the seam is like any other step
    mix = loop.sum(0)
    seam = abs(mix[0] - mix[-1])
    assert seam <= np.percentile(np.abs(np.diff(mix)), 99.9) + 1e-9


def test_no_clipping_and_stems_sum_to_mix():
    p = LoopParams(bpm=180, bars=1)
    loud = np.ones(4800, np.float32)
    vel = np.ones((3, 16))
    mix, stems = render_loop([loud, loud, click()], vel, None, p)
    assert np.max(np.abs(mix)) <= PEAK + 1e-6
    np.testing.assert_array_equal(stems.sum(axis=0, dtype=np.float32), mix)


def test_deterministic_and_levels_mutes():
    p = LoopParams(bpm=111, bars=2, swing=0.1)
    vel = np.zeros((2, 32))
    vel[0, ::4] = 1
    vel[1, 2::4] = 0.5
    a = render_loop([click(), click(freq=800)], vel, None, p)
    b = render_loop([click(), click(freq=800)], vel, None, p)
    assert a[0].tobytes() == b[0].tobytes()
    muted = render_loop([click(), click(freq=800)], vel, None, p, active=[True, False])
    assert np.all(muted[1][1] == 0) and np.any(muted[1][0] != 0)
    full = render_stems([click(), click(freq=800)], vel, None, p)
    half = render_stems([click(), click(freq=800)], vel, None, p, levels=[0.5, 1.0])
    np.testing.assert_allclose(half[0], 0.5 * full[0])
    np.testing.assert_array_equal(half[1], full[1])


def test_wrong_step_count_is_refused():
    with pytest.raises(ValueError):
        render_loop([click()], one_part(16, [0]), None, LoopParams(bars=2))
