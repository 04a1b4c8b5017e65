"""The main window opens, shows files in both views, survives bad files, accepts dropped files."""

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from PySide6.QtCore import QMimeData, QPointF, Qt, QUrl
from PySide6.QtGui import QDragEnterEvent, QDropEvent
from PySide6.QtWidgets import QLabel, QMessageBox

from conftest import load, write_tone


def test_opens_without_audio_and_says_why(make_window):
    w = make_window("failing")
    assert w.isVisible()
    assert "No audio" in w.device_label.text() and "no audio server" in w.device_label.text()
    assert not w.device_bar.input_combo.isEnabled()
    assert w.transport.time_label.text() == "00:00.000 / 00:00.000"
    # transport keys do nothing harmful without a file or engine
    w.transport.play_action.trigger()
    w.transport.record_action.trigger()
    assert not w.transport.record_action.isChecked()
    assert "Cannot record" in w.statusBar().currentMessage()


def test_load_shows_waveform_and_spectrogram_in_step(qtbot, make_window, tmp_path):
    w = make_window("failing")
    path = write_tone(tmp_path / "tone.wav", seconds=3.0)
    load(qtbot, w, path)
    # waveform: one curve per channel in overview and detail, covering the file
    assert len(w.waveform.detail_curves) == 2 and len(w.waveform.overview_curves) == 2
    for curve in w.waveform.detail_curves + w.waveform.overview_curves:
        x, y = curve.getData()
        assert len(x) > 100 and np.isfinite(y).all()
        assert x[0] < 0.01 and x[-1] > 2.99
    # the right channel is louder (0.5 vs 1.0 gain) and its lane sits below
    y_left = w.waveform.detail_curves[0].getData()[1]
    y_right = w.waveform.detail_curves[1].getData()[1]
    assert (y_right.max() - y_right.min()) > 1.8 * (y_left.max() - y_left.min()) * 0.9
    # spectrogram: all tiles present with real content; 440 Hz row is bright, high rows dark
    spec = w.spectrogram
    assert spec.complete and len(spec.tiles) == spec.expected_tiles >= 1
    img = np.concatenate([t.image for _, t in sorted(spec.tiles.items())], axis=1).astype(int).sum(axis=2)
    from desktop_gan.dsp.spectrogram import band_centers

    row = int(np.abs(np.log(band_centers(48000, spec.params) / 440)).argmin())
    assert img.shape == (spec.params.n_bins, 282)  # 3 s / 512-sample hop, rounded up
    assert img[row, img.shape[1] // 2:].mean() > 400  # bright (inferno: R+G+B)
    assert img[-20:, img.shape[1] // 2:].mean() < 60  # near the floor: black
    assert spec.level_shown == 1 and len(spec.shown) == len(spec.tiles)
    # same x range in both views, also after zooming
    w.waveform.set_x_range(1.0, 1.5)
    qtbot.wait(10)
    sx = spec.plot.getPlotItem().getViewBox().viewRange()[0]
    assert sx == pytest.approx([1.0, 1.5], abs=1e-6)
    assert w.waveform.window_region.getRegion() == pytest.approx((1.0, 1.5), abs=1e-6)
    assert "tone.wav" in w.windowTitle()
    assert w.transport.time_label.text().endswith("00:03.000")


def test_zoomed_detail_redraws_from_pyramid(qtbot, make_window, tmp_path):
    w = make_window("failing")
    load(qtbot, w, write_tone(tmp_path / "t.wav", seconds=2.0, channels=1), complete=False)
    w.waveform.set_x_range(0.5, 0.501)  # 48 samples: drawn sample by sample
    qtbot.waitUntil(lambda: len(w.waveform.detail_curves[0].getData()[0]) < 200, timeout=2000)
    x, y = w.waveform.detail_curves[0].getData()
    data = sf.read(str(tmp_path / "t.wav"), dtype="float32")[0]
    frames = np.round(x * 48000).astype(int)
    np.testing.assert_allclose(y, data[frames] * 0.95, atol=1e-6)


def _error_texts(w):
    return [f"{b.text()}: {b.informativeText()}" for b in w.findChildren(QMessageBox)]


@pytest.mark.parametrize("kind", ["missing", "empty", "truncated", "text", "nan"])
def test_bad_files_give_an_error_naming_the_file(qtbot, make_window, tmp_path, kind):
    w = make_window("failing")
    good = write_tone(tmp_path / "good.wav", seconds=0.5)
    bad = tmp_path / f"bad_{kind}.wav"
    if kind == "empty":
        bad.write_bytes(b"")
    elif kind == "truncated":
        bad.write_bytes(good.read_bytes()[:30])
    elif kind == "text":
        bad.write_text("this is not audio\n" * 20)
    elif kind == "nan":
        x = np.zeros((1000, 1), np.float32)
        x[500] = np.nan
        sf.write(str(bad), x, 48000, subtype="FLOAT")
    w.open_file(bad)
    qtbot.waitUntil(lambda: len(_error_texts(w)) == 1, timeout=5000)
    text = _error_texts(w)[0]
    assert bad.name in text
    reason = {"missing": "not found", "empty": "empty", "truncated": "", "text": "not a readable audio file",
              "nan": "NaN"}[kind]
    assert reason in text
    box = w.findChildren(QMessageBox)[0]
    assert box.isVisible() and box.windowModality() == Qt.WindowModality.WindowModal  # open(), not exec()
    box.accept()
    # the app is still up and loads a good file afterwards
    load(qtbot, w, good, complete=False)
    assert w.document.path == good


def test_drop_files_opens_the_first(qtbot, make_window, tmp_path):
    w = make_window("failing")
    a, b = write_tone(tmp_path / "a.wav", 0.4), write_tone(tmp_path / "b.wav", 0.4)
    mime = QMimeData()
    mime.setUrls([QUrl.fromLocalFile(str(a)), QUrl.fromLocalFile(str(b))])
    pos = QPointF(w.width() / 2, w.height() / 2)
    drop = QDropEvent(pos, Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton, Qt.KeyboardModifier.NoModifier)
    # QApplication only routes Drop events that come from a real drag manager, so the handler is
    # called directly, as Qt does at the end of a drag.
    enter = QDragEnterEvent(pos.toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    w.dragEnterEvent(enter)
    assert enter.isAccepted()
    with qtbot.waitSignal(w.fileShown, timeout=10000) as blocker:
        w.dropEvent(drop)
    assert drop.isAccepted()
    assert Path(blocker.args[0]) == a
    assert w.document.path == a


def test_drop_of_non_files_is_refused(make_window):
    w = make_window("failing")
    mime = QMimeData()
    mime.setText("hello")
    drop = QDropEvent(QPointF(10, 10), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                      Qt.KeyboardModifier.NoModifier)
    enter = QDragEnterEvent(QPointF(10, 10).toPoint(), Qt.DropAction.CopyAction, mime, Qt.MouseButton.LeftButton,
                            Qt.KeyboardModifier.NoModifier)
    w.dragEnterEvent(enter)
    assert not enter.isAccepted()
    w.dropEvent(drop)
    assert not drop.isAccepted()
    assert w.document.path is None


def test_recent_files_persist_and_missing_ones_are_dropped(qtbot, make_window, settings, tmp_path):
    from desktop_gan.ui.settings import Settings

    w = make_window("failing")
    a, b = write_tone(tmp_path / "a.wav", 0.3), write_tone(tmp_path / "b.wav", 0.3)
    load(qtbot, w, a, complete=False)
    load(qtbot, w, b, complete=False)
    again = Settings(settings.path)
    assert again.recent_files[:2] == [str(b.resolve()), str(a.resolve())]
    w.files.refresh_recent()
    names = [act.text() for act in w.files.recent_menu.actions()]
    assert any("b.wav" in n for n in names) and any("a.wav" in n for n in names)
    a.unlink()
    w.files.recent_menu.actions()[1].trigger()  # a.wav, now gone
    qtbot.waitUntil(lambda: len(_error_texts(w)) == 1, timeout=5000)
    assert str(a.resolve()) not in Settings(settings.path).recent_files


def test_corrupted_settings_are_set_aside_and_the_app_starts(make_window, tmp_path):
    from desktop_gan.ui.settings import Settings

    path = tmp_path / "cfg2" / "ui.json"
    path.parent.mkdir()
    path.write_text("{ not json")
    s = Settings(path)
    assert s.warning and "unreadable" in s.warning
    assert list(path.parent.glob("ui.json.corrupt-*"))
    w = make_window("failing", settings=s)
    assert w.isVisible() and s.recent_files == []
    assert "unreadable" in w.statusBar().currentMessage()


def test_panels_are_built_lazily_and_a_broken_one_is_contained(qtbot, make_window):
    built = []

    def good(host):
        built.append(host)
        return QLabel("panel body")

    def broken(host):
        raise RuntimeError("model missing")

    w = make_window("failing", panels=[("Good", good), ("Broken", broken)])
    qtbot.waitUntil(lambda: built == [w], timeout=2000)
    assert w.panel_tabs.isVisible() and w.panel_tabs.count() == 2
    w.panel_tabs.setCurrentIndex(1)
    text = w.panel_tabs.widget(1).text()
    assert "could not be loaded" in text and "model missing" in text


def test_registered_panels_are_named_factories():
    from desktop_gan.ui.panels import PANELS

    assert [title for title, _ in PANELS] == ["Enhance", "Loops", "Training"]
    assert all(callable(factory) for _, factory in PANELS)


def test_long_file_draws_a_pooled_level_zoomed_out_and_tiles_zoomed_in(qtbot, make_window, tmp_path):
    w = make_window("failing")
    sr = 48000
    t = np.arange(60 * sr) / sr
    sf.write(str(tmp_path / "long.wav"), (0.3 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), sr)
    load(qtbot, w, tmp_path / "long.wav")
    spec = w.spectrogram
    assert sorted(spec.levels) == [8]  # 5625 columns: one 8x pooled level
    qtbot.waitUntil(lambda: not spec._dirty, timeout=2000)
    pooled, item = spec.levels[8]
    assert pooled.any(axis=2).all()  # every pooled column was filled from its tile
    w.waveform.set_x_range(0.0, 60.0)
    assert spec.level_shown == 8 and item.isVisible() and not spec.shown  # no full tiles in the scene
    w.waveform.set_x_range(30.0, 32.0)
    assert spec.level_shown == 1 and not item.isVisible()
    assert 1 <= len(spec.shown) <= 2  # only the tiles that overlap 30-32 s
    for col0 in spec.shown:
        t0 = col0 * spec.params.hop / sr
        assert t0 <= 32.0 and t0 + spec.tiles[col0].image.shape[1] * spec.params.hop / sr >= 30.0


def test_offline_enhanced_take_is_shown_by_name_and_ab_returns_to_the_file(qtbot, make_window, tmp_path):
    """Enhance the open file into a new take: the window shows it as "<file> (enhanced)" (it has no
    file yet), and A/B brings the original file back, unchanged."""
    from desktop_gan.ui.panels.enhance import panel_for_host

    w = make_window(panels=[("Enhance", panel_for_host)])
    panel = w.panel_tabs.widget(0)
    path = write_tone(tmp_path / "take1.wav", seconds=0.5, channels=1)
    load(qtbot, w, path)
    original = w.document.audio.data.copy()
    with qtbot.waitSignal(w.fileShown, timeout=30000):
        panel.enhance_button.click()
    assert w.transport.file_label.text() == "take1.wav (enhanced)"
    assert w.document.audio.path is None and w.windowTitle().startswith("take1.wav (enhanced)")
    with qtbot.waitSignal(w.fileShown, timeout=10000):
        panel.ab_button.click()
    assert w.transport.file_label.text() == "take1.wav"
    np.testing.assert_array_equal(w.document.audio.data, original)
