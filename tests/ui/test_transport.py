"""Transport, selection -> loop, recording takes, devices and saving, through the window."""

import re
import time

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QPoint, Qt
from PySide6.QtTest import QTest
from PySide6.QtWidgets import QMessageBox

from conftest import load, write_tone


def _player(w):
    return w.engine_link.engine.player


def test_fake_engine_gets_file_and_transport_keys(qtbot, make_window, tmp_path):
    w = make_window("fake")
    assert w.engine_link.running
    qtbot.waitUntil(lambda: "Fake In" in w.device_label.text(), timeout=2000)
    assert "Underruns 3" in w.xrun_label.text() and "Overruns 1" in w.xrun_label.text()
    assert "48 kHz" in w.rate_label.text() and "20.0 ms" in w.latency_label.text()
    load(qtbot, w, write_tone(tmp_path / "t.wav", seconds=2.0), complete=False)
    p = _player(w)
    assert p.calls[0] == ("load", 96000, 48000)
    QTest.keyClick(w, Qt.Key.Key_Space)
    assert p.playing
    qtbot.waitUntil(lambda: w.playback.position > 2400, timeout=3000)  # playhead follows the player
    assert w.waveform.playhead.value() == pytest.approx(w.playback.position / 48000, abs=0.05)
    assert w.transport.play_action.text() == "Pause"
    QTest.keyClick(w, Qt.Key.Key_Space)
    assert not p.playing and ("pause",) in p.calls
    QTest.keyClick(w, Qt.Key.Key_Home)
    assert p.calls[-1] == ("seek", 0) and w.playback.position == 0
    qtbot.waitUntil(lambda: w.transport.time_label.text() == "00:00.000 / 00:02.000", timeout=1000)
    # meters are fed from engine.meter() by the 30 ms timer
    qtbot.waitUntil(lambda: w.device_bar.meter.hold_db[0] > -7, timeout=2000)


def test_click_seeks(qtbot, make_window, tmp_path):
    w = make_window("fake")
    load(qtbot, w, write_tone(tmp_path / "t.wav", seconds=2.0), complete=False)
    vb = w.waveform.detail.getPlotItem().getViewBox()
    x = vb.mapViewToScene(vb.mapToView(vb.boundingRect().center()))
    target = vb.mapSceneToView(x).x()
    view_pt = w.waveform.detail.mapFromScene(x)
    QTest.mouseClick(w.waveform.detail.viewport(), Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier,
                     QPoint(int(view_pt.x()), int(view_pt.y())))
    qtbot.waitUntil(lambda: any(c[0] == "seek" for c in _player(w).calls), timeout=2000)
    frame = [c for c in _player(w).calls if c[0] == "seek"][-1][1]
    assert frame == pytest.approx(target * 48000, abs=48000 * 0.01)


def test_selection_becomes_the_loop_region(qtbot, make_window, tmp_path):
    w = make_window("fake")
    load(qtbot, w, write_tone(tmp_path / "t.wav", seconds=2.0), complete=False)
    vb = w.waveform.detail.getPlotItem().getViewBox()
    vb.sigSelecting.emit(0.5, 0.8, False)  # what a left drag in the detail view emits while moving
    vb.sigSelecting.emit(0.5, 1.25, True)  # ... and when released
    assert w.waveform.selection == pytest.approx((0.5, 1.25))
    assert w.waveform.selection_item.isVisible() and w.spectrogram.selection_item.isVisible()
    assert w.spectrogram.selection_item.getRegion() == pytest.approx((0.5, 1.25))
    QTest.keyClick(w, Qt.Key.Key_L)
    assert w.transport.loop_action.isChecked() and w.playback.loop_region == (24000, 60000)
    assert _player(w).calls[-1] == ("set_loop", 24000, 60000)
    # moving the selection moves the loop; stop returns to the loop start
    w.waveform.set_selection((0.25, 0.5))
    assert _player(w).calls[-1] == ("set_loop", 12000, 24000)
    w.transport.stop_action.trigger()
    assert _player(w).calls[-1] == ("seek", 12000)
    QTest.keyClick(w, Qt.Key.Key_L)
    assert not w.transport.loop_action.isChecked() and _player(w).calls[-1] == ("clear_loop",)


def test_loop_without_selection_loops_the_whole_file(qtbot, make_window, tmp_path):
    w = make_window("fake")
    load(qtbot, w, write_tone(tmp_path / "t.wav", seconds=1.0), complete=False)
    w.transport.loop_action.trigger()
    assert _player(w).loop == (0, 48000)
    assert w.waveform.selection == pytest.approx((0.0, 1.0))


def test_record_writes_a_timestamped_take_and_shows_it(qtbot, make_window, settings, tmp_path):
    w = make_window("fake")
    QTest.keyClick(w, Qt.Key.Key_R)
    assert w.transport.record_action.isChecked() and w.engine_link.recording
    take = w.playback.take_path
    assert take.parent == settings.takes_dir and re.fullmatch(r"take-\d{8}-\d{6}(-\d+)?\.wav", take.name)
    qtbot.wait(100)
    assert w.transport.time_label.text() != "00:00.000 / 00:00.000"  # shows the recorded length
    with qtbot.waitSignal(w.fileShown, timeout=10000) as blocker:
        QTest.keyClick(w, Qt.Key.Key_R)
    assert blocker.args[0] == str(take) and not w.transport.record_action.isChecked()
    assert w.document.audio.frames == 24000
    # the takes folder is configurable (File > Takes Folder) and persisted
    w.files.choose_takes_dir(str(tmp_path / "elsewhere"))
    QTest.keyClick(w, Qt.Key.Key_R)
    assert w.playback.take_path.parent == tmp_path / "elsewhere"
    assert type(settings)(settings.path).takes_dir == tmp_path / "elsewhere"
    QTest.keyClick(w, Qt.Key.Key_R)


def test_device_choice_reconfigures_and_persists(qtbot, make_window, settings):
    w = make_window("fake")
    bar = w.device_bar
    assert bar.input_combo.isEnabled() and bar.input_combo.count() == 2  # default + Mic
    assert bar.output_combo.itemText(1).startswith("Speakers")
    bar.output_combo.setCurrentIndex(1)
    bar.rate_combo.setCurrentIndex(bar.rate_combo.findData(44100))
    eng = w.engine_link.engine
    assert eng.config.output_device == 1 and eng.config.samplerate == 44100
    assert settings.get("output_device") == 1 and settings.get("samplerate") == 44100


def test_save_as_never_overwrites_silently(qtbot, make_window, tmp_path):
    w = make_window("failing")
    src = write_tone(tmp_path / "src.wav", seconds=0.5)
    before = src.read_bytes()
    load(qtbot, w, src, complete=False)

    def errors():
        return [f"{b.text()}: {b.informativeText()}" for b in w.findChildren(QMessageBox)]

    w.save_as(src)  # the source itself
    qtbot.waitUntil(lambda: len(errors()) == 1, timeout=5000)
    assert "src.wav" in errors()[0] and "refusing to overwrite the source" in errors()[0]
    assert src.read_bytes() == before
    other = tmp_path / "other.wav"
    other.write_bytes(b"keep me")
    w.save_as(other)  # an existing file, not confirmed by a dialog
    qtbot.waitUntil(lambda: len(errors()) == 2, timeout=5000)
    assert "already exists" in errors()[1] and other.read_bytes() == b"keep me"
    out = tmp_path / "copy.flac"
    w.save_as(out)
    qtbot.waitUntil(lambda: out.exists() and "Saved copy.flac" in w.statusBar().currentMessage(), timeout=5000)
    data, sr = sf.read(str(out), dtype="float32")
    assert sr == 48000 and data.shape == (24000, 2)
    np.testing.assert_allclose(data, w.document.audio.data, atol=1e-4)
    assert not list(tmp_path.glob(".*.part"))


@pytest.mark.audio
def test_plays_through_the_real_engine(qtbot, make_window, tmp_path, pulse_server):
    from desktop_gan.ui.audio_link import EngineLink

    w = make_window(EngineLink())
    qtbot.waitUntil(lambda: w.engine_link.running, timeout=10000)
    load(qtbot, w, write_tone(tmp_path / "t.wav", seconds=3.0), complete=False)
    QTest.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: w.playback.position > 4800, timeout=8000)
    assert w.engine_link.player.playing
    qtbot.waitUntil(lambda: w.waveform.playhead.value() > 0.1, timeout=2000)
    assert "kHz" in w.rate_label.text() and "Underruns" in w.xrun_label.text()
    QTest.keyClick(w, Qt.Key.Key_Space)
    qtbot.waitUntil(lambda: not w.engine_link.player.playing, timeout=2000)
    paused_at = w.playback.position
    time.sleep(0.2)
    qtbot.wait(60)
    assert abs(w.playback.position - paused_at) < 100


@pytest.mark.audio
def test_records_a_take_through_the_real_engine(qtbot, make_window, settings, pulse_server):
    from desktop_gan.ui.audio_link import EngineLink

    w = make_window(EngineLink())
    qtbot.waitUntil(lambda: w.engine_link.running, timeout=10000)
    QTest.keyClick(w, Qt.Key.Key_R)
    assert w.engine_link.recording, w.statusBar().currentMessage()
    take = w.playback.take_path
    qtbot.waitUntil(lambda: w.engine_link.engine.recorded_frames > 24000, timeout=8000)
    blocker = _stop_recording_and_wait(qtbot, w)
    assert blocker.args[0] == str(take) and take.parent == settings.takes_dir
    assert w.document.audio.frames >= 24000 and w.waveform.detail_curves


@pytest.mark.audio
def test_record_while_live_enhancing_keeps_raw_and_enhanced_takes(qtbot, make_window, settings, pulse_server):
    import soundfile as sf

    from desktop_gan.ui.audio_link import EngineLink
    from desktop_gan.ui.panels.enhance import panel_for_host

    w = make_window(EngineLink(), panels=[("Enhance", panel_for_host)])
    qtbot.waitUntil(lambda: w.engine_link.running, timeout=10000)
    panel = w.panel_tabs.widget(0)
    assert w.live_recorder is panel
    panel.live_button.click()
    qtbot.waitUntil(lambda: panel.live is not None and panel.live.running, timeout=10000)
    QTest.keyClick(w, Qt.Key.Key_R)
    raw, enhanced = w.playback.take_path, w.playback.enhanced_path
    assert raw is not None and enhanced == raw.with_name(raw.stem + "-enhanced.wav")
    assert panel.live.recording
    qtbot.waitUntil(lambda: w.engine_link.engine.recorded_frames > 48000, timeout=10000)
    blocker = _stop_recording_and_wait(qtbot, w)
    assert blocker.args[0] == str(raw)  # the original is what opens
    assert "enhanced" in w.statusBar().currentMessage()
    n_raw, n_enh = sf.info(str(raw)).frames, sf.info(str(enhanced)).frames
    assert n_raw >= 48000 and n_enh == n_raw
    assert not panel.live.recording and panel.live.running  # monitoring goes on


def _stop_recording_and_wait(qtbot, w):
    """Press R to stop; the take opens. On a timeout, say what the window was showing."""
    from pytestqt.exceptions import TimeoutError as QtTimeout

    try:
        with qtbot.waitSignal(w.fileShown, timeout=10000) as blocker:
            QTest.keyClick(w, Qt.Key.Key_R)
    except QtTimeout:
        from PySide6.QtWidgets import QApplication

        modal = QApplication.activeModalWidget()
        boxed = modal and (getattr(modal, "text", lambda: "")(), getattr(modal, "informativeText", lambda: "")())
        raise AssertionError(f"take not shown: modal={boxed!r} status={w.statusBar().currentMessage()!r} "
                             f"error={w.engine_link.error!r} recording={w.engine_link.recording} "
                             f"take={w.playback.take_path} device={w.device_label.text()!r}") from None
    return blocker
