"""Loops panel: generation off the GUI thread, loop_ready, lanes, history/favourites, export, drag data."""

import json
import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import numpy as np  # noqa: E402
import pytest  # noqa: E402

pytest.importorskip("pytestqt")

from desktop_gan.core.params import LoopParams  # noqa: E402


@pytest.fixture
def panel(qtbot, tmp_path, model_files):
    from desktop_gan.ui.panels.loops import LoopsPanel

    p = LoopsPanel(data_dir=tmp_path / "user", drums_model=model_files[0], patterns_model=model_files[1])
    qtbot.addWidget(p)
    yield p
    p.shutdown()


def test_generate_emits_loop_and_keeps_history(panel, qtbot, tmp_path):
    panel.bpm.setValue(100)
    panel.bars.setCurrentText("2")
    with qtbot.waitSignal(panel.loop_ready, timeout=30000) as sig:
        panel.generate.click()
    audio, sr = sig.args
    assert sr == 48000 and len(audio) == LoopParams(bpm=100, bars=2).length_samples
    assert panel.drag.path is not None and panel.drag.path.exists()
    mime = __import__("desktop_gan.ui.panels.loops", fromlist=["file_mime"]).file_mime(panel.drag.path)
    assert mime.hasUrls() and mime.urls()[0].toLocalFile() == str(panel.drag.path.resolve())
    hist = json.loads((tmp_path / "user" / "loops_history.json").read_text())
    assert len(hist) == 1 and hist[0]["params"]["bpm"] == 100
    # regenerate one lane: a new render arrives, the history grows
    with qtbot.waitSignal(panel.loop_ready, timeout=30000):
        panel.lanes[0].regen_sound.click()
    assert len(panel.history) == 2
    # the lane's morph slider goes back halfway towards the sound it replaced
    newest_z = list(panel.state["lanes"][0]["z"])
    lane0 = panel.lanes[0]
    assert lane0.morph.value() == 100
    lane0.morph.setValue(0)
    with qtbot.waitSignal(panel.loop_ready, timeout=30000):
        lane0.morph.sliderReleased.emit()
    assert panel.state["lanes"][0]["z"] == panel.state["lanes"][0]["morph_a"] != newest_z
    lane0.morph.setValue(100)
    with qtbot.waitSignal(panel.loop_ready, timeout=30000):
        lane0.morph.sliderReleased.emit()
    assert panel.state["lanes"][0]["z"] == newest_z
    panel.add_favourite()
    assert json.loads((tmp_path / "user" / "loops_favourites.json").read_text())[0] == panel.state
    # mute every lane: silence
    for lane in panel.lanes:
        lane.mute.setChecked(True)
    qtbot.waitUntil(lambda: not panel._pending, timeout=30000)
    assert not np.any(panel.last_audio)
    # more like this: a dropped file moves the lane's latent
    import soundfile as sf

    sf.write(tmp_path / "drop.wav", np.sin(np.arange(9600) / 8.0) * np.exp(-np.arange(9600) / 2000), 44100)
    z_before = list(panel.history[0]["lanes"][0]["z"])
    with qtbot.waitSignal(panel.loop_ready, timeout=60000):
        panel.more_like_this(0, tmp_path / "drop.wav")
    assert panel.state["lanes"][0]["z"] != z_before
    # recall the first loop from history: the same audio as then
    first = panel.history[-1]
    with qtbot.waitSignal(panel.loop_ready, timeout=30000) as sig:
        panel.recall(first)
    assert len(sig.args[0]) == len(audio)


def test_export_files(panel, qtbot, tmp_path):
    with qtbot.waitSignal(panel.loop_ready, timeout=30000):
        panel.generate_loop()
    for what, target in (("wav", tmp_path / "x.wav"), ("stems", tmp_path / "stems"), ("midi", tmp_path / "x.mid")):
        job = panel.export(what, target)
        with qtbot.waitSignal(panel.jobs.finished, timeout=30000, check_params_cb=lambda i, v, j=job: i == j):
            pass
    assert (tmp_path / "x.wav").exists() and (tmp_path / "x.mid").exists()
    assert len(list((tmp_path / "stems").glob("*.wav"))) == 8


def test_corrupted_history_is_set_aside(qtbot, tmp_path, model_files):
    from desktop_gan.ui.panels.loops import LoopsPanel

    user = tmp_path / "user"
    user.mkdir()
    (user / "loops_history.json").write_text("{not json")
    p = LoopsPanel(data_dir=user, drums_model=model_files[0], patterns_model=model_files[1])
    qtbot.addWidget(p)
    try:
        assert p.history == []
        assert any(f.name.startswith("loops_history.json.corrupt") for f in user.iterdir())
        assert "corrupt" in p.status.text() or p.status.text()
    finally:
        p.shutdown()
