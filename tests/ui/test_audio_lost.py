"""The audio server dies under the app while it plays and records, then comes back.

Runs the real window in a subprocess with a PulseAudio server of its own (killing the session's
server would pull it from under every other test): the app must stay up, say what happened, keep
the take, and find the audio again by itself once a server is back.
"""

import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

APP = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    sys.path.insert(0, "tests")
    import numpy as np, soundfile as sf
    from pulse import PulseServer
    server = PulseServer().start()
    os.environ["PULSE_SERVER"] = server.server
    from PySide6.QtWidgets import QApplication
    from desktop_gan.ui.audio_link import EngineLink
    from desktop_gan.ui.main_window import MainWindow
    from desktop_gan.ui.settings import Settings
    app = QApplication(["desktop-gan"])
    w = MainWindow(Settings(Path(sys.argv[1])), engine_link=EngineLink())
    errors = []
    w._show_error_fn = lambda title, text: errors.append(text)
    w.show()

    def wait(cond, timeout):
        end = time.monotonic() + timeout
        while not cond():
            if time.monotonic() > end:
                return False
            app.processEvents()
            time.sleep(0.02)
        return True

    tone = Path(sys.argv[2])
    t = np.arange(10 * 48000) / 48000
    sf.write(str(tone), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), 48000)
    try:
        assert wait(lambda: w.engine_link.running, 15), "engine did not start"
        w.open_file(tone)
        assert wait(lambda: w.document.audio is not None and w.playback.player_ready, 15)
        w.playback.toggle_play()
        w.transport.record_action.setChecked(True)
        take = w.playback.take_path
        assert take is not None, w.statusBar().currentMessage()
        assert wait(lambda: w.engine_link.engine.recorded_frames > 48000, 10)
        server.stop()                                   # the server is killed under the app
        print("KILLED", flush=True)
        assert wait(lambda: w.playback.take_path is None and errors, 15), "loss not noticed"
        print("ERROR", errors[0], flush=True)
        print("LABEL", w.device_label.text(), flush=True)
        assert wait(lambda: w.document.audio is not None and w.document.path == take, 10)
        print("TAKE", take, len(w.document.audio.data), flush=True)
        server = PulseServer().start()                  # a server comes back
        os.environ["PULSE_SERVER"] = server.server
        assert wait(lambda: w.engine_link.running, 20), "audio did not come back"
        print("BACK", w.device_label.text(), flush=True)
        w.open_file(tone)
        assert wait(lambda: w.document.path == tone and w.playback.player_ready, 15)
        w.playback.toggle_play()
        assert wait(lambda: w.playback.position > 24000, 10), "no playback after recovery"
        print("PLAYING", w.playback.position, flush=True)
    finally:
        w.shutdown()
        server.stop()
    print("DONE", flush=True)
""")


@pytest.mark.audio
def test_server_killed_during_play_and_record_then_back(tmp_path, settings):
    res = subprocess.run([sys.executable, "-c", APP, str(settings.path), str(tmp_path / "tone.wav")], cwd=ROOT,
                         env={**__import__("os").environ, "QT_QPA_PLATFORM": "offscreen"},
                         capture_output=True, text=True, timeout=150)
    out = res.stdout
    assert res.returncode == 0 and "DONE" in out, out + res.stderr[-3000:]
    lines = {ln.split(" ", 1)[0]: ln.split(" ", 1)[1] for ln in out.splitlines() if " " in ln}
    assert "audio server disappeared" in lines["ERROR"] and "keeps everything recorded" in lines["ERROR"]
    assert "disappeared" in lines["LABEL"] or "No audio" in lines["LABEL"]
    take, frames = lines["TAKE"].rsplit(" ", 1)
    assert Path(take).parent == settings.takes_dir and int(frames) >= 48000
    assert lines["BACK"].startswith("In:")
