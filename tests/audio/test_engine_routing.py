"""The engine's monitor and live-processor path, driven through its callbacks without a device.

The input and output callbacks are called in turn as PortAudio would (separate streams, varying
block sizes); a processor on the other side of the LiveTap is run in between, like the inference
worker. Output must be the input delayed by one constant amount: processed where the worker kept up,
the latency-aligned dry signal where it did not (counted in monitor_underruns), never a slip.
"""

import numpy as np
import pytest

from desktop_gan.audio.engine import AudioEngine
from desktop_gan.core.params import AudioConfig


class Status:
    input_overflow = input_underflow = output_underflow = output_overflow = False


class DelayProcessor:
    """Stands in for the enhancer: output = gain * input delayed by ``latency`` samples."""

    def __init__(self, tap, gain):
        self.tap, self.gain = tap, gain
        self.line = np.zeros((tap.latency_samples, tap.channels), np.float32)

    def run(self):
        x = self.tap.input_ring.read(self.tap.input_ring.available)
        y = np.concatenate([self.line, x])
        self.line = y[len(x):]
        self.tap.output_ring.write(self.gain * y[: len(x)])


def drive(eng, x, sizes, step=None, out_ch=2):
    """Feed ``x`` (frames, ch) block by block; ``step(k)`` runs between the callbacks."""
    out = np.zeros((len(x), out_ch), np.float32)
    i = k = 0
    rng = np.random.default_rng(0)
    while i < len(x):
        n = min(sizes[0] if k == 0 else int(rng.choice(sizes)), len(x) - i)
        eng._input_callback(x[i:i + n], n, None, Status())
        if step is not None:
            step(k)
        eng._output_callback(out[i:i + n], n, None, Status())
        i += n
        k += 1
    return out


def find_delay(out, x, max_delay):
    ref = x[:, 0]
    for d in range(max_delay):
        seg = out[d:d + 4000, 0]
        if np.allclose(seg, ref[: len(seg)]) or np.allclose(seg, 0.5 * ref[: len(seg)]):
            if np.any(seg):
                return d
    raise AssertionError("output is not a delayed copy of the input")


@pytest.fixture
def engine():
    return AudioEngine(AudioConfig(samplerate=48000, channels_in=1, channels_out=2))


def test_monitor_plays_the_input_with_a_constant_delay(engine):
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (48000, 1)).astype(np.float32)
    engine.set_monitor(True)
    out = drive(engine, x, [417, 100, 800, 417])
    d = find_delay(out, x, 6000)
    # the cushion is kept behind the newest input when monitoring starts (first block: 417 frames)
    assert d == engine._cushion - 417
    np.testing.assert_array_equal(out[d:, 0], x[: len(x) - d, 0])
    np.testing.assert_array_equal(out[:, 0], out[:, 1])  # mono input to both channels
    assert engine.stats().monitor_underruns == 0


def test_processor_output_is_aligned_and_falls_back_to_dry_without_a_slip(engine):
    latency = 960
    x = np.random.default_rng(2).uniform(-0.5, 0.5, (96000, 1)).astype(np.float32)
    tap = engine.attach_processor(latency)
    proc = DelayProcessor(tap, gain=0.5)
    stalled = range(60, 90)  # the worker misses these steps (a long model hiccup)
    out = drive(engine, x, [417, 417, 200, 640], step=lambda k: None if k in stalled else proc.run())
    d = engine._cushion + latency - 417  # the first input block arrived before the tap was seen
    y = out[d:, 0]
    ref = x[: len(x) - d, 0]
    processed = np.isclose(y, 0.5 * ref, atol=1e-7)
    dry = np.isclose(y, ref, atol=1e-7) & (ref != 0)
    assert np.all(processed | dry), "every output frame is the processed or the dry input, same delay"
    assert processed[:5000].all() and processed[-5000:].all()
    assert dry.sum() > 1000  # the stall fell back to the dry signal ...
    assert engine.stats().monitor_underruns > 0  # ... and was counted
    assert engine.stats().monitor_resyncs == 0  # a stalled worker catches up: no re-delay
    assert not out[: d - 1].any()  # nothing before the reported latency


def test_a_step_in_stream_timing_is_resynced_once_then_processed_again(engine):
    """The output stream takes 3,000 frames more than the input delivered (as a server adjusting its
    buffers does): the processed path is late for good although the worker keeps up. The engine
    re-delays the monitor once; after that every frame is processed again, at a new constant delay."""
    latency = 960
    x = np.random.default_rng(4).uniform(-0.5, 0.5, (96000, 1)).astype(np.float32)
    tap = engine.attach_processor(latency)
    proc = DelayProcessor(tap, gain=0.5)
    chunks, i, k = [], 0, 0
    while i < len(x):
        n = min(417, len(x) - i)
        engine._input_callback(x[i:i + n], n, None, Status())
        proc.run()
        out = np.zeros((n + (3000 if k == 40 else 0), 2), np.float32)
        engine._output_callback(out, len(out), None, Status())
        chunks.append(out)
        i += n
        k += 1
    out = np.concatenate(chunks)[:, 0]
    st = engine.stats()
    assert st.monitor_resyncs == 1 and st.monitor_underruns > 0
    tail = out[-20000:]
    for d in range(0, 8000):  # the tail is the processed input at one constant delay
        ref = 0.5 * x[len(x) - d - 20000 + 3000: len(x) - d + 3000, 0]
        if len(ref) == 20000 and np.allclose(tail, ref, atol=1e-7):
            break
    else:
        raise AssertionError("after the resync the output is not the processed input at a constant delay")


def test_detach_returns_to_dry_monitoring(engine):
    x = np.random.default_rng(3).uniform(-0.5, 0.5, (24000, 1)).astype(np.float32)
    engine.set_monitor(True)
    tap = engine.attach_processor(480)
    proc = DelayProcessor(tap, gain=0.5)
    drive(engine, x, [417], step=lambda k: proc.run())
    engine.detach_processor()
    out = drive(engine, x, [417])
    d = find_delay(out, x, 6000)
    np.testing.assert_array_equal(out[d:, 0], x[: len(x) - d, 0])


def test_meter_posts_latest_value_only(engine):
    assert engine.meter() is None
    engine._input_callback(np.full((100, 1), 0.25, np.float32), 100, None, Status())
    engine._input_callback(np.full((100, 1), 0.5, np.float32), 100, None, Status())
    peak, rms = engine.meter()
    assert peak[0] == pytest.approx(0.5) and rms[0] == pytest.approx(0.5)
    assert engine.meter() is None


def test_xrun_flags_are_counted(engine):
    s = Status()
    s.input_overflow = True
    engine._input_callback(np.zeros((10, 1), np.float32), 10, None, s)
    s2 = Status()
    s2.output_underflow = True
    engine._output_callback(np.zeros((10, 2), np.float32), 10, None, s2)
    st = engine.stats()
    assert st.overruns == 1 and st.underruns == 1 and not st.running
