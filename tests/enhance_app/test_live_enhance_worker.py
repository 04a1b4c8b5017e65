"""LiveEnhancer: a real engine through the private PulseAudio loopback, and a fake tap for recovery."""

from __future__ import annotations

import threading
import time

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.core.params import AudioConfig, EnhanceParams
from desktop_gan.core.ringbuffer import RingBuffer
from desktop_gan.runtime.enhancer import StreamingEnhancer
from desktop_gan.workers.live_enhance import LiveEnhancer, enhance_offline, model_factory, prepare_runtime

SR = 48000
THREAD = "desktop_gan-live-enhance"


def _test_signal(seconds: float) -> np.ndarray:
    rng = np.random.default_rng(1)
    t = np.arange(int(seconds * SR)) / SR
    tone = 0.2 * np.sin(2 * np.pi * 330 * t) * (np.sin(2 * np.pi * 1.5 * t) > 0)
    return (tone + 0.03 * rng.standard_normal(len(t))).astype(np.float32)[:, None]


class Capture:
    def __init__(self) -> None:
        self.inp: list[np.ndarray] = []
        self.out: list[np.ndarray] = []
        self.lock = threading.Lock()

    def __call__(self, x, y) -> None:
        with self.lock:
            self.inp.append(x)
            self.out.append(np.array(y))

    def arrays(self):
        with self.lock:
            return np.concatenate(self.inp), np.concatenate(self.out)


class CountingFactory:
    def __init__(self) -> None:
        self.calls = 0

    def __call__(self, samplerate, channels):
        self.calls += 1
        return model_factory()(samplerate, channels)


def _wait_frames(live: LiveEnhancer, frames: int, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while live.stats().processed_frames < frames:
        assert time.monotonic() < deadline, f"worker processed only {live.stats().processed_frames} frames"
        time.sleep(0.02)


@pytest.fixture
def engine(pulse_server):
    from desktop_gan.audio.engine import AudioEngine

    prepare_runtime()  # as the Enhance panel does when it is built: the compiled kernel is loaded
    eng = AudioEngine(AudioConfig(samplerate=SR, channels_in=1, channels_out=2, latency="high"))
    eng.start()
    eng.player.load(_test_signal(6.0), SR)  # something non-silent comes back through the loopback
    eng.player.play()
    yield eng
    eng.stop()


@pytest.mark.audio
def test_live_output_equals_offline_and_params_swap_live(engine, tmp_path):
    cap, factory = Capture(), CountingFactory()
    live = LiveEnhancer(engine, factory, params=EnhanceParams(strength_db=40.0), on_block=cap)
    live.start()
    enh = live.enhancer
    lat = enh.latency_samples
    try:
        _wait_frames(live, SR)  # 1 s enhanced
        x, y = cap.arrays()
        assert np.sqrt(np.mean(x ** 2)) > 1e-3, "the loopback delivered silence"
        ref = StreamingEnhancer(None, samplerate=SR, channels=1, params=EnhanceParams(strength_db=40.0))
        np.testing.assert_allclose(y, ref.process(x), atol=1e-6)
        # the same, latency aligned: the offline path of the whole input lines up with output[lat:]
        off = ref.process_offline(x)
        np.testing.assert_allclose(y[lat:], off[: len(y) - lat], atol=1e-6)

        # a live parameter change: 'dry' makes the output exactly the input delayed by the latency
        live.set_params(EnhanceParams(strength_db=40.0, listen="dry"))
        done = len(cap.arrays()[1])  # every block after the one in flight uses the new params
        _wait_frames(live, done + SR // 2)
        x, y = cap.arrays()
        tail = slice(done + live.hop, len(y))
        np.testing.assert_array_equal(y[tail], x[tail.start - lat:len(y) - lat])
        assert live.enhancer is enh and factory.calls == 1  # no reload
        st = live.stats()
        assert st.running and st.error is None and st.recoveries == 0
        assert 0.0 < st.rtf < 1.0
        assert st.added_latency_s * SR >= lat
    finally:
        live.stop()
    assert not live.running
    assert THREAD not in [t.name for t in threading.enumerate()]
    live.stop()  # a second stop is harmless


@pytest.mark.audio
def test_record_keeps_raw_and_enhanced_takes_aligned(engine, tmp_path):
    cap = Capture()
    live = LiveEnhancer(engine, model_factory(), on_block=cap)
    live.start()
    try:
        _wait_frames(live, SR // 4)
        live.start_recording(tmp_path / "raw.wav", tmp_path / "enhanced.wav")
        assert live.recording and engine.recording
        time.sleep(1.0)
        raw_path, enh_path = live.stop_recording()
        assert not live.recording and not engine.recording
    finally:
        live.stop()
    raw, _ = sf.read(raw_path, dtype="float32", always_2d=True)
    enh, _ = sf.read(enh_path, dtype="float32", always_2d=True)
    assert len(raw) > SR // 2 and len(enh) == len(raw)
    x, y = cap.arrays()
    # find where the raw take starts in the worker's input stream (float WAV: exact samples)
    k = 2048
    hits = [i for i in range(len(x) - k) if np.array_equal(x[i:i + k], raw[:k])]
    assert len(hits) == 1
    start = hits[0] + live.enhancer.latency_samples
    np.testing.assert_array_equal(enh, y[start:start + len(enh)])


class _FakeTap:
    def __init__(self, latency: int, channels: int) -> None:
        self.latency_samples, self.channels = latency, channels
        self.input_ring = RingBuffer(4 * SR, channels)
        self.output_ring = RingBuffer(4 * SR, channels)


class _FakeEngine:
    """Two RingBuffers standing in for the engine's tap; stats like an idle engine."""

    def __init__(self) -> None:
        self.config = AudioConfig(samplerate=SR, channels_in=1)
        self.tap = None
        self.detached = 0

    def attach_processor(self, latency):
        self.tap = _FakeTap(latency, 1)
        return self.tap

    def detach_processor(self):
        self.detached += 1

    def stats(self):
        from desktop_gan.audio.engine import EngineStats

        return EngineStats(SR, "", "", 0.0, 0.0, 0, 0, 0, None, True)


def test_recovers_from_a_backlog_and_keeps_indices_aligned():
    eng = _FakeEngine()
    live = LiveEnhancer(eng, model_factory(), max_backlog_s=0.1)
    live.start()
    try:
        assert live.wait_ready(30)
        x = _test_signal(0.5)
        eng.tap.input_ring.write(x)  # 0.5 s at once: more than the worker may fall behind
        deadline = time.monotonic() + 5
        m = live.margin  # silence written first so output frame p = enhanced input p - attach latency
        assert live.attach_latency == live.enhancer.latency_samples + m
        while eng.tap.output_ring.available < len(x) + m and time.monotonic() < deadline:
            time.sleep(0.01)
        assert live.stats().recoveries == 1
        assert eng.tap.output_ring._written - m == eng.tap.input_ring._read == len(x)
        # the skipped stretch holds the input delayed by the enhancer latency (the dry fallback's content)
        out = eng.tap.output_ring.read(m + len(x))
        lat = live.enhancer.latency_samples
        np.testing.assert_array_equal(out[:m], 0.0)
        np.testing.assert_array_equal(out[m + lat:], x[:len(x) - lat])
        # after recovery it processes normally again: one hop in, one hop out
        eng.tap.input_ring.write(x[: live.hop * 4])
        while eng.tap.output_ring._written < m + len(x) + live.hop * 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert eng.tap.output_ring._written == m + len(x) + live.hop * 4
        assert live.stats().recoveries == 1
    finally:
        live.stop()
    assert eng.detached == 1 and not live.running


class _SlowFirstCall:
    """An enhancer whose first block takes 0.4 s, as when the compiled kernel is still loading."""

    def __init__(self, enh) -> None:
        self._enh, self._first = enh, True

    def process(self, x):
        if self._first:
            self._first = False
            time.sleep(0.4)
        return self._enh.process(x)

    def __getattr__(self, name):
        return getattr(self._enh, name)


def test_a_slow_first_block_is_skipped_not_counted_as_a_recovery():
    eng = _FakeEngine()
    live = LiveEnhancer(eng, lambda sr, ch: _SlowFirstCall(model_factory()(sr, ch)), max_backlog_s=0.1)
    live.start()
    try:
        x = _test_signal(0.3)
        eng.tap.input_ring.write(x)  # arrives while the worker is still in its first call
        assert live.wait_ready(10)
        m, lat = live.margin, live.enhancer.latency_samples
        assert live.stats().recoveries == 0
        assert eng.tap.output_ring._written - m == eng.tap.input_ring._read == len(x)
        out = eng.tap.output_ring.read(m + len(x))  # the skipped start plays the dry content, aligned
        np.testing.assert_array_equal(out[m + lat:], x[:len(x) - lat])
        eng.tap.input_ring.write(x[: live.hop * 2])  # then it enhances as usual
        _wait_frames(live, live.hop * 2)
        assert live.stats().recoveries == 0
    finally:
        live.stop()


def test_worker_ends_when_the_engine_detaches_its_tap():
    eng = _FakeEngine()
    live = LiveEnhancer(eng, model_factory())
    live.start()
    eng.tap.attached = False  # what the engine does on restart
    deadline = time.monotonic() + 5
    while live.running and time.monotonic() < deadline:
        time.sleep(0.01)
    assert not live.running and not live.stats().attached and live.stats().error is None
    live.stop()


def test_offline_chunked_equals_process_offline_and_reports_progress():
    x = _test_signal(1.3)[:, 0]
    seen = []

    class Ctx:
        def progress(self, f, msg=""):
            seen.append(f)

        def check_cancelled(self):
            pass

    y = enhance_offline(x, SR, params=EnhanceParams(strength_db=20.0), ctx=Ctx(), block_s=0.25)
    ref = StreamingEnhancer(None, samplerate=SR, channels=1, params=EnhanceParams(strength_db=20.0))
    assert y.shape == x.shape
    np.testing.assert_allclose(y, ref.process_offline(x), atol=1e-6)
    assert seen[-1] == 1.0 and seen == sorted(seen) and len(seen) > 3
