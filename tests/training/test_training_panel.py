"""The Training panel driven through pytest-qt with the toy task in a real training process."""

import pytest

from desktop_gan.training import checkpoint as ckpt
from desktop_gan.ui.panels.training import TrainingPanel, _parse_settings, format_eta
from tests.training.conftest import TOY

pytestmark = pytest.mark.slow


def _points(panel, key="g"):
    xs, _ = panel.curves[key].getData()
    return 0 if xs is None else len(xs)


@pytest.fixture
def panel(qtbot, tmp_path, child_env):
    p = TrainingPanel(runs_dir=tmp_path / "runs", tasks=[TOY], models_dir=tmp_path / "models", env=child_env,
                      poll_ms=50)
    qtbot.addWidget(p)
    yield p
    if p.running:
        p.tp.stop()
        p.tp.wait(30)
    p.on_app_close()


def test_helpers():
    assert format_eta(None) == "-" and format_eta(75) == "1m 15s" and format_eta(3700) == "1h 01m"
    assert _parse_settings("batch=4, lr=0.001; name=x") == {"batch": 4, "lr": 0.001, "name": "x"}
    with pytest.raises(ValueError):
        _parse_settings("batch")


def test_scan_start_curves_pause_resume_stop_preview_resume_run(qtbot, panel, messy_folder):
    assert panel.task_kind == "toy" and list(panel.data_edits) == ["--data"]
    panel.data_edits["--data"].setText(str(messy_folder))
    assert not panel.start_btn.isEnabled()  # the scan comes first
    panel.scan_btn.click()
    qtbot.waitUntil(lambda: "usable files" in panel.report.toPlainText(), timeout=20000)
    text = panel.report.toPlainText()
    assert "2 usable files" in text and "skipped 4" in text and "clipped" in text
    assert panel.start_btn.isEnabled()

    panel.steps.setValue(100000)
    panel.eval_every.setValue(10)
    panel.settings_edit.setText("step_sleep=0.01")
    panel.start_btn.click()
    qtbot.waitUntil(lambda: _points(panel) >= 12 and panel.previews.count() >= 1, timeout=60000)
    n = _points(panel)
    qtbot.waitUntil(lambda: _points(panel) > n + 5, timeout=20000)  # the curves move
    assert _points(panel, "d") == _points(panel, "rec") == _points(panel)
    assert "steps/s" in panel.rate_label.text() and "left" in panel.rate_label.text()
    assert panel.progress.value() >= 0 and not panel.start_btn.isEnabled() and panel.stop_btn.isEnabled()
    assert panel._eval_curves  # eval metrics plotted

    panel.pause_btn.click()
    qtbot.waitUntil(lambda: panel.state == "paused", timeout=20000)
    assert panel.resume_btn.isEnabled() and not panel.pause_btn.isEnabled()
    held = panel.tp.progress.step
    qtbot.wait(500)
    assert panel.tp.progress.step == held

    panel.resume_btn.click()
    qtbot.waitUntil(lambda: panel.tp.progress.step > held + 3, timeout=20000)
    assert panel.state == "running"

    with qtbot.waitSignal(panel.preview_requested, timeout=2000) as sig:
        panel.previews.itemClicked.emit(panel.previews.item(0))
    assert sig.args[0].endswith(".wav")

    panel.stop_btn.click()
    qtbot.waitUntil(lambda: panel.state == "stopped" and not panel.running, timeout=30000)
    stopped_at = panel.tp.progress.step
    run_dir = panel.tp.run_dir
    assert ckpt.latest(run_dir).step == stopped_at
    qtbot.waitUntil(lambda: panel.runs_box.count() == 1, timeout=5000)  # the next timer tick lists it
    assert panel.open_run_btn.isEnabled() and panel.start_btn.isEnabled()

    # a reopened panel offers the unfinished run; resuming continues its step count
    panel.open_run_btn.click()
    qtbot.waitUntil(lambda: panel.state == "running" and panel.tp.progress.step > stopped_at, timeout=60000)
    assert panel.tp.curves.step[0] == 1  # the whole history, not only the new part
    panel.stop_btn.click()
    qtbot.waitUntil(lambda: panel.state == "stopped", timeout=30000)


def test_short_run_to_done_and_use_this_model(qtbot, panel, tmp_path):
    panel.steps.setValue(15)
    panel.eval_every.setValue(0)
    panel.ckpt_every.setValue(5)
    panel.average_from.setValue(5)  # the export averages the checkpoints at 5, 10 and 15
    panel.scan_btn.click()  # no folders: generated data, nothing to scan
    assert "generated data" in panel.report.toPlainText()
    panel.start_btn.click()
    qtbot.waitUntil(lambda: panel.state == "done" and not panel.running, timeout=60000)
    assert panel.use_btn.isEnabled()
    assert "steps: 15" in panel.record_view.toPlainText()
    with qtbot.waitSignal(panel.model_ready, timeout=5000) as sig:
        panel.use_btn.click()
    path = sig.args[0]
    assert path.startswith(str(tmp_path / "models")) and path.endswith(".safetensors")
    from desktop_gan.io.modelfile import load_model

    _, cfg = load_model(path, "toy")
    assert cfg["training"]["steps"] == 15 and cfg["training"]["weight_average"]["steps"] == [5, 10, 15]
    assert not panel.use_btn.isEnabled()


def test_on_app_close_cancel_keep_and_stop(qtbot, panel):
    panel.steps.setValue(100000)
    panel.settings_edit.setText("step_sleep=0.01")
    panel.scan_btn.click()
    panel.start_btn.click()
    qtbot.waitUntil(lambda: panel.tp.progress.step > 2, timeout=60000)
    panel.ask_close = lambda: "cancel"
    assert panel.on_app_close() is False and panel.running
    panel.ask_close = lambda: "keep"
    assert panel.on_app_close() is True and panel.running  # keeps training in its own process
    panel.ask_close = lambda: "stop"
    assert panel.on_app_close() is True
    assert not panel.running
    panel.tp.poll()
    assert panel.tp.progress.state == "stopped"
