"""EnhancePanel through pytest-qt (offscreen): parameters, offline takes, cancel, broken models, live."""

from __future__ import annotations

import os
import shutil

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402
from PySide6.QtCore import Qt  # noqa: E402

from desktop_gan.core.params import AudioConfig, EnhanceParams  # noqa: E402
from desktop_gan.runtime.enhancer import StreamingEnhancer, default_model_path  # noqa: E402

SR = 48000


@pytest.fixture
def models(tmp_path):
    """A folder with the shipped enhancer and a broken copy (corrupt weights, valid JSON)."""
    d = tmp_path / "models"
    d.mkdir()
    src = default_model_path()
    shutil.copy(src, d / "good.safetensors")
    shutil.copy(src.with_suffix(".json"), d / "good.json")
    (d / "broken.safetensors").write_bytes(b"not a safetensors file at all" * 10)
    shutil.copy(src.with_suffix(".json"), d / "broken.json")
    return d


@pytest.fixture
def panel(qtbot, models):
    from desktop_gan.ui.panels.enhance import EnhancePanel

    p = EnhancePanel(model_dirs=[models])
    qtbot.addWidget(p)
    p.select_model(models / "good.safetensors")
    yield p
    p.shutdown()


def _noisy(seconds: float, channels: int = 1) -> np.ndarray:
    rng = np.random.default_rng(3)
    t = np.arange(int(seconds * SR)) / SR
    x = 0.2 * np.sin(2 * np.pi * 220 * t)[:, None] + 0.05 * rng.standard_normal((len(t), channels))
    return x.astype(np.float32)


def test_controls_build_the_right_params(panel, qtbot):
    assert panel.params() == EnhanceParams(strength_db=50.0, mix=1.0, bypass=False, listen="enhanced")
    panel.strength_slider.setValue(45)
    panel.mix_slider.setValue(25)
    panel.listen_combo.setCurrentIndex(panel.listen_combo.findData("residue"))
    assert panel.params() == EnhanceParams(strength_db=45.0, mix=0.25, bypass=False, listen="residue")
    assert panel.strength_value.text() == "45 dB" and panel.mix_value.text() == "25 %"
    qtbot.mouseClick(panel.bypass_button, Qt.MouseButton.LeftButton)
    assert panel.params().bypass
    qtbot.mouseClick(panel.bypass_button, Qt.MouseButton.LeftButton)
    assert not panel.params().bypass
    panel.compare_button.pressed.emit()  # hold-to-compare: bypass only while held
    assert panel.params().bypass
    panel.compare_button.released.emit()
    assert not panel.params().bypass
    assert panel.strength_slider.maximum() == 60


def test_offline_enhance_makes_a_new_take(panel, qtbot):
    x = _noisy(1.2, channels=2)
    original = x.copy()
    panel.strength_slider.setValue(20)
    panel.set_source(x, SR, "take1.wav")
    with qtbot.waitSignal(panel.take_ready, timeout=30000) as took, \
            qtbot.waitSignal(panel.ab_changed, timeout=30000) as ab:
        qtbot.mouseClick(panel.enhance_button, Qt.MouseButton.LeftButton)
    y, sr, name = took.args
    assert y.shape == x.shape and sr == SR and name == "take1.wav (enhanced)"
    assert y is not x
    np.testing.assert_array_equal(x, original)  # the original take is untouched
    ref = StreamingEnhancer(panel.model_path, samplerate=SR, channels=2, params=EnhanceParams(strength_db=20.0))
    np.testing.assert_allclose(y, ref.process_offline(original), atol=1e-6)
    assert ab.args == [True] and panel.ab_button.isEnabled()
    with qtbot.waitSignal(panel.ab_changed) as ab:
        panel.ab_button.click()
    assert ab.args == [False]


def test_cancel_stops_the_job_and_keeps_the_original(panel, qtbot):
    x = _noisy(30.0)  # long enough to still be running when cancelled
    original = x.copy()
    panel.set_source(x, SR, "long.wav")
    fired = []
    panel.take_ready.connect(lambda *a: fired.append(a))
    # The first blocker must outlive the second wait: progress events already queued when it
    # disconnected are still delivered to its slot, and PySide crashes if the blocker is gone by then.
    with qtbot.waitSignal(panel.jobs.progress, timeout=20000) as started:
        job = panel.enhance_take()
    assert job is not None and panel.cancel_button.isEnabled()
    with qtbot.waitSignal(panel.jobs.cancelled, timeout=20000) as sig:
        qtbot.mouseClick(panel.cancel_button, Qt.MouseButton.LeftButton)
    assert started.signal_triggered and sig.args == [job]
    assert "cancelled" in panel.message.lower()
    assert not fired and panel.enhanced is None and panel.enhance_button.isEnabled()
    np.testing.assert_array_equal(x, original)


def test_broken_model_shows_its_message(panel, models, qtbot):
    assert panel.model_combo.count() == 2
    panel.select_model(models / "broken.safetensors")  # must not raise
    assert "broken.safetensors" in panel.message
    assert not panel.enhance_button.isEnabled() and not panel.live_button.isEnabled()
    panel.set_source(_noisy(0.2), SR, "x.wav")
    assert panel.enhance_take() is None
    panel.select_model(models / "good.safetensors")
    assert panel.message == "" and panel.enhance_button.isEnabled()


def test_live_toggle_without_audio_shows_a_message(panel, qtbot):
    qtbot.mouseClick(panel.live_button, Qt.MouseButton.LeftButton)
    assert not panel.live_button.isChecked() and panel.live is None
    assert "audio is not running" in panel.message.lower()


@pytest.mark.audio
def test_live_enhance_with_a_real_engine(qtbot, models, pulse_server):
    from desktop_gan.audio.engine import AudioEngine
    from desktop_gan.ui.panels.enhance import EnhancePanel

    eng = AudioEngine(AudioConfig(samplerate=SR, channels_in=1, channels_out=2, latency="high"))
    eng.start()
    p = EnhancePanel(engine=eng, model_dirs=[models])
    qtbot.addWidget(p)
    try:
        p.select_model(models / "good.safetensors")
        qtbot.mouseClick(p.live_button, Qt.MouseButton.LeftButton)
        assert p.live is not None and p.live.running, p.message
        enh = p.live.enhancer
        qtbot.waitUntil(lambda: "RTF" in p.stats_label.text() and p.live.stats().processed_frames > SR // 2,
                        timeout=10000)
        p.strength_slider.setValue(12)
        assert p.live.enhancer is enh and enh.params.strength_db == 12.0  # live, no reload
        p.bypass_button.click()
        assert enh.params.bypass
        qtbot.mouseClick(p.live_button, Qt.MouseButton.LeftButton)
        assert p.live is None and p.stats_label.text() == "Live off"
    finally:
        p.shutdown()
        eng.stop()
