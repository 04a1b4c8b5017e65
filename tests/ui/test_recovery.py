"""kill -9 of the app while it records: the take is on disk, and the next start offers it back.

The first app runs in a subprocess (the real window, engine link, engine and recorder, against the
tests' private PulseAudio) and starts recording from its Record button; the test kills it with
SIGKILL. A second window, in this process, finds the take and recovers it through the offer.
"""

import os
import sys
import textwrap
from pathlib import Path

import pytest
import soundfile as sf

from desktop_gan.io.take_recovery import marker_path
from killing import kill_9_after_ready

ROOT = Path(__file__).resolve().parents[2]

APP = textwrap.dedent("""
    import sys, time
    from pathlib import Path
    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication
    from desktop_gan.ui.audio_link import EngineLink
    from desktop_gan.ui.main_window import MainWindow
    from desktop_gan.ui.settings import Settings
    app = QApplication(["desktop-gan"])
    w = MainWindow(Settings(Path(sys.argv[1])), engine_link=EngineLink())
    w.show()
    def tick():
        if w.playback.take_path is None:
            if w.engine_link.running:
                w.transport.record_action.setChecked(True)   # the Record button
                if w.playback.take_path is not None:
                    print("RECORDING", w.playback.take_path, time.monotonic(), flush=True)
    timer = QTimer()
    timer.timeout.connect(tick)
    timer.start(50)
    app.exec()
""")


@pytest.mark.audio
def test_kill_9_while_recording_then_the_next_start_offers_the_take(qtbot, make_window, settings):
    line, elapsed = kill_9_after_ready([sys.executable, "-c", APP, str(settings.path)], "RECORDING", 3.0, cwd=ROOT,
                                       env={**os.environ, "QT_QPA_PLATFORM": "offscreen"})
    take = Path(line.split()[1])
    assert take.parent == settings.takes_dir and marker_path(take).is_file()
    assert sf.info(str(take)).frames >= (elapsed - 1.0) * 48000  # readable as it is, before any repair

    w = make_window()  # the next start (no audio needed to recover)
    qtbot.waitUntil(lambda: w.recovery is not None and w.recovery.box is not None
                    and w.recovery.box.isVisible(), timeout=5000)
    box = w.recovery.box
    assert "interrupted" in box.text() and take.name in box.informativeText()
    with qtbot.waitSignal(w.fileShown, timeout=10000) as shown:
        w.recovery.open_button.click()
    assert shown.args == [str(take)]
    assert w.statusBar().currentMessage().startswith(f"Recovered {take.name}")
    assert w.document.audio.duration >= elapsed - 1.0
    assert not marker_path(take).exists()
    assert sf.info(str(take)).frames == w.document.audio.data.shape[0]

    w2 = make_window()  # recovered once: not offered again
    qtbot.wait(100)
    assert w2.recovery is not None and w2.recovery.box is None
