"""Player.render without a device: sample-accurate positions, seamless loops, channel mapping."""

import numpy as np
import pytest

from desktop_gan.audio.player import Player


def render_blocks(player, total, sizes, channels=2):
    out = np.zeros((total, channels), np.float32)
    i, k = 0, 0
    while i < total:
        n = min(sizes[k % len(sizes)], total - i)
        player.render(out[i:i + n])
        i += n
        k += 1
    return out


def ramp(n, ch=1):
    return np.stack([np.arange(n, dtype=np.float32) / n + c for c in range(ch)], axis=1)


@pytest.mark.parametrize("sizes", [[64], [1, 7, 300, 33], [1000]])
def test_loop_is_sample_exact_for_any_block_sizes(sizes):
    data = ramp(1000)
    p = Player(48000)
    p.load(data, 48000)
    p.seek(100)
    p.set_loop(200, 437)
    p.play()
    out = render_blocks(p, 3000, sizes)
    idx = list(range(100, 437)) + [200 + (k % 237) for k in range(3000 - 337)]
    expected = data[idx, 0]
    np.testing.assert_array_equal(out[:, 0], expected)
    np.testing.assert_array_equal(out[:, 1], expected)  # mono goes to both channels
    assert p.playing and 200 <= p.position < 437


def test_plays_to_the_end_then_stops_and_play_restarts():
    p = Player(48000)
    p.load(ramp(500, 2), 48000)
    p.play()
    out = render_blocks(p, 800, [128])
    np.testing.assert_array_equal(out[:500], ramp(500, 2))
    assert not out[500:].any()
    assert not p.playing and p.position == 500
    p.play()  # at the end: starts again from 0
    out = render_blocks(p, 10, [10])
    np.testing.assert_array_equal(out, ramp(500, 2)[:10])


def test_mixes_into_the_output_and_pause_stop_seek():
    p = Player(48000)
    p.load(np.ones((100, 1), np.float32), 48000)
    out = np.full((10, 2), 0.5, np.float32)
    p.render(out)  # not playing: untouched
    assert np.all(out == 0.5)
    p.play()
    p.render(out)
    assert np.all(out == 1.5) and p.position == 10
    p.pause()
    p.render(out)
    assert p.position == 10
    p.seek(42)
    assert p.position == 42  # a pending seek reads back at once
    p.stop()
    assert p.position == 0 and not p.playing


def test_multichannel_buffer_to_fewer_outputs_and_more():
    p = Player(48000)
    p.load(ramp(50, 3), 48000)
    p.play()
    out = np.zeros((50, 2), np.float32)
    p.render(out)
    np.testing.assert_array_equal(out, ramp(50, 3)[:, :2])
    p.load(ramp(50, 2), 48000)
    p.play()
    out = np.zeros((50, 4), np.float32)
    p.render(out)
    np.testing.assert_array_equal(out[:, :2], ramp(50, 2))
    assert not out[:, 2:].any()


def test_resampled_clip_positions_are_in_source_frames():
    sr = 44100
    t = np.arange(sr) / sr
    p = Player(48000)
    p.load(np.sin(2 * np.pi * 440 * t).astype(np.float32), sr)
    assert p.length == sr
    p.seek(22050)
    assert p.position == 22050
    p.play()
    out = np.zeros((4800, 2), np.float32)
    p.render(out)  # 0.1 s at the device rate
    assert p.position == 22050 + 4410
    spec = np.abs(np.fft.rfft(out[:, 0]))
    assert abs(np.argmax(spec) * 48000 / 4800 - 440) <= 10


def test_bad_inputs_are_refused():
    p = Player(48000)
    with pytest.raises(ValueError):
        p.load(np.zeros((0, 1), np.float32), 48000)
    with pytest.raises(ValueError):
        p.load(np.array([[np.nan]], np.float32), 48000)
    with pytest.raises(ValueError):
        p.set_loop(0, 10)  # nothing loaded
    p.load(np.zeros(100, np.float32), 48000)
    for a, b in [(10, 10), (-1, 5), (50, 101)]:
        with pytest.raises(ValueError):
            p.set_loop(a, b)
    p.set_loop(10, 20)
    assert p.loop_enabled and p.loop_region == (10, 20)
    p.clear_loop()
    assert not p.loop_enabled


def test_device_rate_change_keeps_clip_loop_and_position():
    p = Player(48000)
    p.load(np.sin(np.arange(48000) / 10).astype(np.float32), 48000)
    p.set_loop(1000, 9000)
    p.seek(5000)
    p.set_device_rate(44100)
    assert p.device_rate == 44100 and p.length == 48000
    assert p.loop_region == (1000, 9000) and p.position == 5000
    p.play()
    out = np.zeros((44100, 2), np.float32)
    p.render(out)  # 1 s at 44.1 kHz: the 8000-frame (1/6 s) loop wrapped several times
    assert 1000 <= p.position < 9000 and np.abs(out).max() > 0.9
