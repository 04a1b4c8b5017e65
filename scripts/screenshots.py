"""Screenshots of the real app on a real X display (Xvfb), for the README and for looking at.

    xvfb-run -a -s "-screen 0 1600x1000x24" .venv/bin/python scripts/screenshots.py [enhance] [loops] [training] [recovery]

Builds the window as ``desktop-gan`` does (dark theme, real panels, the inference worker, a training
process), with settings, history and runs in a temporary folder, drives it through the panels'
own methods (the same ones their buttons call), and grabs the whole X screen with ImageMagick's
``import -window root`` into ``docs/screenshots/``:

* ``enhance``: the Enhance panel with live enhancement on, after "Enhance take" on a noisy clip of
  the held-out evaluation set (``enhance_panel``: the enhanced take; ``enhance_original``: A/B back
  to the original);
* ``loops``: the Loops panel after Generate, the loop in both views;
* ``training``: the Training panel mid-run (drums from scratch on the project's generated data),
  with loss curves, evaluation figures and previews;
* ``recovery``: the offer at start-up to recover a take that a crash interrupted (a take and its
  marker are left in the takes folder as a killed recording leaves them), then the recovered take.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screenshots"


def grab(name: str) -> Path:
    OUT.mkdir(parents=True, exist_ok=True)
    path = OUT / f"{name}.png"
    subprocess.run(["import", "-window", "root", str(path)], check=True)
    print(f"wrote {path}", flush=True)
    return path


def wait(app, seconds: float, until=None) -> bool:
    """Run the event loop for up to ``seconds``, or until ``until()`` is true."""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        if until is not None and until():
            return True
        time.sleep(0.02)
    return until is None


def tab(window, title: str):
    tabs = window.panel_tabs
    index = next(i for i in range(tabs.count()) if tabs.tabText(i) == title)
    tabs.setCurrentIndex(index)
    return tabs.widget(index)


def loops(app, window) -> None:
    panel = tab(window, "Loops")
    got = []
    panel.loop_ready.connect(lambda audio, sr: got.append(len(audio)))
    panel.bpm.setValue(96)
    panel.style.setCurrentText("boom-bap")
    panel.generate_loop()
    if not wait(app, 60, lambda: bool(got)):
        raise SystemExit("no loop within 60 s")
    wait(app, 3.0)  # spectrogram tiles
    grab("loops_panel")


def enhance(app, window) -> None:
    from desktop_gan.training import eval_data

    folder = ROOT / "data" / "eval"
    manifest = eval_data.ensure(folder)
    item = next(it for it in manifest["items"] if it.get("kind") == "fan" and it.get("snr_db", 99) < 3)
    window.open_file(folder / item["noisy"])
    wait(app, 10, lambda: window.document.audio is not None)
    panel = tab(window, "Enhance")
    panel.live_button.setChecked(True)
    job = panel.enhance_take()
    if job is None or not wait(app, 60, lambda: panel.enhanced is not None):
        raise SystemExit(f"no enhanced take: {panel.message()}")
    wait(app, 4.0)  # spectrogram tiles, live statistics
    grab("enhance_panel")
    panel.ab_button.setChecked(False)
    wait(app, 3.0)
    grab("enhance_original")
    panel.live_button.setChecked(False)


def training(app, window, runs_dir: Path) -> None:
    panel = tab(window, "Training")
    panel.runs_dir = runs_dir
    panel.task_box.setCurrentIndex(panel.task_box.findData("drums"))
    panel.steps.setValue(400)
    panel.eval_every.setValue(25)
    panel.ckpt_every.setValue(50)
    panel.average_from.setValue(300)
    panel.device.setCurrentText("cpu")
    panel.settings_edit.setText("batch=8")
    panel.scan()
    panel.start()
    def evals() -> bool:  # three evaluations plotted, previews listed
        items = panel.eval_plot.getPlotItem().listDataItems()
        return bool(items) and len(items[0].getData()[0] if items[0].getData()[0] is not None else []) >= 3
    if not wait(app, 420, evals):
        print("warning: no evaluation within 420 s; grabbing anyway", flush=True)
    wait(app, 2.0)
    grab("training_panel")
    panel.stop()
    wait(app, 30, lambda: not panel.running)


def interrupted_take(folder: Path) -> None:
    """Leave a take as ``kill -9`` leaves one: its marker beside it, the last 0.2 s not yet counted."""
    import numpy as np
    import soundfile as sf

    from desktop_gan.io.take_recovery import write_marker

    folder.mkdir(parents=True, exist_ok=True)
    take = folder / "take-20261129-101500.wav"
    sr = 48000
    t = np.arange(int(7.4 * sr)) / sr
    voice = np.sin(2 * np.pi * 180 * t + 3 * np.sin(2 * np.pi * 4 * t)) * (np.sin(2 * np.pi * 0.6 * t) > -0.2)
    x = (0.3 * voice * np.exp(-((t % 1.7) / 0.9))).astype(np.float32)
    sf.write(str(take), x, sr, subtype="FLOAT")
    raw = bytearray(take.read_bytes())
    i = raw.find(b"data")
    counted = (len(x) - sr // 5) * 4
    raw[i + 4:i + 8] = counted.to_bytes(4, "little")
    take.write_bytes(bytes(raw))
    crashed = subprocess.Popen([sys.executable, "-c", "pass"])  # the recording process, gone
    crashed.wait()
    write_marker(take, sr, 1, pid=crashed.pid)


def recovery(app, window) -> None:
    wait(app, 10, lambda: window.recovery is not None and window.recovery.box is not None)
    wait(app, 1.0)
    grab("recovery_offer")
    window.recovery.open_button.click()
    wait(app, 10, lambda: window.document.audio is not None)
    wait(app, 2.0)
    grab("recovery_opened")


def main(argv: list[str]) -> int:
    which = argv or ["loops", "training"]
    if not os.environ.get("DISPLAY"):
        print("run under Xvfb: xvfb-run -a -s '-screen 0 1600x1000x24' ...", file=sys.stderr)
        return 2
    tmp = Path(tempfile.mkdtemp(prefix="dg-shots-"))
    os.environ["XDG_CONFIG_HOME"] = str(tmp / "config")
    os.environ["XDG_DATA_HOME"] = str(tmp / "data")
    os.chdir(ROOT)  # the tasks' generated data lives in data/
    pulse = None
    if not os.environ.get("PULSE_SERVER"):  # a private null-sink server, as the tests use
        sys.path.insert(0, str(ROOT))
        from tests.pulse import PulseServer

        pulse = PulseServer().start()
        os.environ.update(pulse.env)

    from PySide6.QtWidgets import QApplication

    from desktop_gan.ui.audio_link import EngineLink
    from desktop_gan.ui.main_window import MainWindow
    from desktop_gan.ui.settings import Settings
    from desktop_gan.ui.theme import apply_theme, configure_pyqtgraph

    app = QApplication(["desktop-gan"])
    app.setApplicationName("desktop_gan")
    apply_theme(app)
    configure_pyqtgraph()
    settings = Settings(tmp / "ui.json")
    settings.takes_dir = tmp / "takes"
    if "recovery" in which:
        interrupted_take(settings.takes_dir)
    window = MainWindow(settings, engine_link=EngineLink(), start_audio=True)
    window.show()
    wait(app, 2.0)
    try:
        if "recovery" in which:
            recovery(app, window)
        if "enhance" in which:
            enhance(app, window)
        if "loops" in which:
            loops(app, window)
        if "training" in which:
            training(app, window, tmp / "runs")
    finally:
        window.close()
        window.shutdown()
        if pulse is not None:
            pulse.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
