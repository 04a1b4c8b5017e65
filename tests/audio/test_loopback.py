"""Real PortAudio streams through the private PulseAudio null sink: play -> monitor -> record.

The engine's player plays into sink ``virt`` and its recorder records ``virt.monitor``, a true
loopback. Checked: frequency, level, no dropouts (against an ideal sine fitted to the recording),
a looped region that wraps seamlessly (against the ideal periodic extension), meters and counters.
"""

import time

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.audio.engine import AudioEngine, EngineStats
from desktop_gan.core.params import AudioConfig

pytestmark = pytest.mark.audio
SR = 48000


@pytest.fixture(scope="module")
def engine(pulse_server):
    eng = AudioEngine(AudioConfig(samplerate=SR, channels_in=1, channels_out=2, latency="high"))
    eng.start()
    deadline = time.monotonic() + 10
    while eng.meter() is None:  # the first stream on an idle server can stall for a second or two
        assert time.monotonic() < deadline, "no input arrived from the monitor source"
        time.sleep(0.05)
    yield eng
    eng.stop()


def record_while(engine, path, seconds, action):
    engine.start_recording(path)
    time.sleep(0.2)
    action()
    time.sleep(seconds)
    engine.player.pause()
    time.sleep(0.2)
    out = engine.stop_recording()
    data, sr = sf.read(out, dtype="float32", always_2d=True)
    assert sr == SR and data.shape[1] == 1
    assert len(data) == engine.recorded_frames
    return data[:, 0]


def onset(x, threshold=0.05):
    idx = np.flatnonzero(np.abs(x) > threshold)
    assert len(idx), "nothing came back through the loopback"
    return int(idx[0])


def test_sine_comes_back_clean(engine, tmp_path):
    t = np.arange(3 * SR) / SR
    engine.player.load((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), SR)
    x = record_while(engine, tmp_path / "sine.wav", 2.5, engine.player.play)
    seg = x[onset(x) + 480: onset(x) + 480 + 2 * SR]
    assert len(seg) == 2 * SR, "the recording is shorter than the tone"
    # frequency
    spec = np.abs(np.fft.rfft(seg * np.hanning(len(seg))))
    assert abs(np.argmax(spec) * SR / len(seg) - 1000.0) < 1.0
    # level: 0.5 peak sine -> -9.03 dBFS RMS
    rms_db = 20 * np.log10(np.sqrt(np.mean(seg.astype(np.float64) ** 2)))
    assert rms_db == pytest.approx(20 * np.log10(0.5 / np.sqrt(2)), abs=0.3)
    # no gaps or slips: one ideal sine fits the whole 2 s (a single dropped frame would not)
    n = np.arange(len(seg))
    basis = np.stack([np.sin(2 * np.pi * 1000 * n / SR), np.cos(2 * np.pi * 1000 * n / SR)], axis=1)
    coef, *_ = np.linalg.lstsq(basis, seg.astype(np.float64), rcond=None)
    resid = seg - basis @ coef
    snr = 10 * np.log10(np.sum(seg.astype(np.float64) ** 2) / np.sum(resid ** 2))
    assert snr > 60, f"loopback SNR {snr:.1f} dB: dropouts or slipped samples"
    env = np.abs(seg).reshape(-1, 480).max(axis=1)  # 10 ms envelope never dips
    assert env.min() > 0.45
    st = engine.stats()
    assert st.underruns == 0 and st.overruns == 0


def test_loop_region_wraps_seamlessly(engine, tmp_path):
    rng = np.random.default_rng(7)
    clip = (0.3 * rng.uniform(-1, 1, SR)).astype(np.float32)
    start, end = 10_000, 14_801  # 4801 frames: 100 ms and one frame, not a block multiple
    engine.player.load(clip, SR)
    engine.player.set_loop(start, end)
    engine.player.seek(start)

    x = record_while(engine, tmp_path / "loop.wav", 2.0, engine.player.play)
    assert engine.player.loop_enabled and start <= engine.player.position < end
    region = clip[start:end].astype(np.float64)
    period = len(region)
    first = onset(x, 0.2)
    # align the recording with the region by circular cross-correlation of one period
    probe = x[first + 2000: first + 2000 + period].astype(np.float64)
    corr = np.fft.irfft(np.fft.rfft(probe) * np.conj(np.fft.rfft(region)), period)
    shift = (-int(np.argmax(corr))) % period  # probe[n] == region[(n + shift) % period]
    rec = x[first + 2000: first + 2000 + 15 * period].astype(np.float64)  # 15 wraps
    ideal = np.tile(region, 16)[shift: shift + len(rec)]
    err = rec - ideal
    snr = 10 * np.log10(np.sum(ideal ** 2) / np.sum(err ** 2))
    assert snr > 60, f"looped playback differs from the ideal periodic extension ({snr:.1f} dB)"
    assert np.max(np.abs(err)) < 1e-3  # no click at any wrap


def test_meters_counters_and_stats(engine):
    t = np.arange(SR) / SR
    engine.player.load((0.25 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), SR)
    engine.player.play()
    time.sleep(0.5)
    peaks = []
    deadline = time.monotonic() + 2
    while len(peaks) < 5 and time.monotonic() < deadline:
        m = engine.meter()
        if m is not None:
            peaks.append(float(m[0][0]))
            assert m[0].shape == (1,) and m[1][0] <= m[0][0]
        time.sleep(0.03)
    engine.player.stop()
    assert len(peaks) >= 5, "meters did not keep updating"
    assert max(peaks) == pytest.approx(0.25, abs=0.02)
    st = engine.stats()
    assert isinstance(st, EngineStats) and st.running and st.error is None
    assert st.samplerate == SR and st.input_latency_s > 0 and st.output_latency_s > 0
    assert st.input_name and st.output_name
    assert all(isinstance(v, int) and v >= 0 for v in (st.underruns, st.overruns, st.monitor_underruns))


def test_reconfigure_reopens_streams(engine):
    engine.reconfigure(AudioConfig(samplerate=44100, channels_in=2, channels_out=2))
    try:
        assert engine.running and engine.stats().samplerate == 44100
        deadline = time.monotonic() + 10
        m = None
        while m is None and time.monotonic() < deadline:
            m = engine.meter()
            time.sleep(0.05)
        assert m is not None and m[0].shape == (2,)
    finally:
        engine.reconfigure(AudioConfig(samplerate=SR, channels_in=1, channels_out=2))
    assert engine.running


def test_a_failing_callback_is_reported_and_reconfigure_recovers(engine):
    def broken(out):
        raise RuntimeError("boom")

    engine.player.render = broken  # instance attribute shadows the method
    try:
        deadline = time.monotonic() + 5
        while engine.stats().error is None and time.monotonic() < deadline:
            time.sleep(0.05)
        st = engine.stats()
        assert st.error and "output callback failed" in st.error and "boom" in st.error
        assert not st.running
    finally:
        del engine.player.render
    engine.reconfigure(engine.config)
    assert engine.running and engine.stats().error is None
