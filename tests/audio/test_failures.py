"""What the engine does when things go wrong: no server, a server that dies, a killed recorder.

Each case runs in a subprocess: PortAudio reads its devices once per process, and kill -9 needs a
process of its own.
"""

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from killing import kill_9_after_ready

ROOT = Path(__file__).resolve().parents[2]
pytestmark = pytest.mark.audio


def run_py(code, env=None, timeout=60):
    return subprocess.run([sys.executable, "-c", textwrap.dedent(code)], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=timeout)


def test_no_server_raises_audio_device_error(tmp_path):
    env = {**os.environ, "PULSE_SERVER": f"unix:{tmp_path}/nothing-here"}
    res = run_py("""
        from desktop_gan.audio.devices import AudioDeviceError
        from desktop_gan.audio.engine import AudioEngine
        from desktop_gan.core.params import AudioConfig
        eng = AudioEngine(AudioConfig())
        try:
            eng.start()
        except AudioDeviceError as exc:
            print("ERROR:", exc)
            assert not eng.running
            eng.stop()  # still safe
            raise SystemExit(3)
        print("started?!")
    """, env=env)
    assert res.returncode == 3, res.stdout + res.stderr
    assert "ERROR: no audio server/device" in res.stdout
    assert "Traceback" not in res.stderr


def test_server_that_disappears_is_reported_and_engine_restarts():
    res = run_py("""
        import os, sys, time
        sys.path.insert(0, "tests")
        from pulse import PulseServer
        server = PulseServer().start()
        os.environ["PULSE_SERVER"] = server.server
        from desktop_gan.audio.engine import AudioEngine
        from desktop_gan.core.params import AudioConfig
        eng = AudioEngine(AudioConfig())
        eng.start()
        time.sleep(0.5)
        server.stop()                       # the audio server goes away under the engine
        deadline = time.monotonic() + 15
        while eng.stats().error is None and time.monotonic() < deadline:
            time.sleep(0.1)
        st = eng.stats()
        print("ERROR:", st.error, "RUNNING:", st.running)
        server = PulseServer().start()      # a server comes back (new socket): reconfigure finds it
        os.environ["PULSE_SERVER"] = server.server
        try:
            eng.reconfigure(eng.config)
            deadline = time.monotonic() + 15
            while eng.meter() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            st = eng.stats()
            print("AGAIN:", st.running, st.error, eng.meter() is not None or time.monotonic() < deadline)
            eng.stop()
        finally:
            server.stop()
        print("STOPPED")
    """, timeout=90)
    assert res.returncode == 0, res.stdout + res.stderr
    assert "ERROR: audio server disappeared" in res.stdout and "RUNNING: False" in res.stdout
    assert "AGAIN: True None True" in res.stdout
    assert "STOPPED" in res.stdout


RECORDER = """
import sys, time
import numpy as np
from desktop_gan.audio.engine import AudioEngine
from desktop_gan.core.params import AudioConfig
eng = AudioEngine(AudioConfig())
eng.start()
t = np.arange(60 * 48000) / 48000
eng.player.load((0.5 * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), 48000)
while eng.meter() is None:
    time.sleep(0.05)
eng.player.play()
eng.start_recording(sys.argv[1])
print("RECORDING", flush=True)
time.sleep(120)
"""


def test_kill_9_leaves_a_readable_recording(tmp_path):
    path = tmp_path / "crash.wav"
    _, elapsed = kill_9_after_ready([sys.executable, "-c", RECORDER, str(path)], "RECORDING", 3.0, cwd=ROOT)
    info = sf.info(path)
    assert info.samplerate == 48000 and info.subtype == "FLOAT"
    data, _ = sf.read(path, dtype="float32")
    assert len(data) == info.frames
    assert len(data) >= (elapsed - 1.0) * 48000, f"only {len(data) / 48000:.2f} s of {elapsed:.2f} s survived"
    tone = data[len(data) // 2:]
    assert np.max(np.abs(tone)) == pytest.approx(0.5, abs=0.02)  # the tone was recorded, not garbage
    # the header was updated while recording: its data size matches the file on disk
    raw = path.read_bytes()
    i = raw.find(b"data")
    assert i > 0 and int.from_bytes(raw[i + 4:i + 8], "little") == len(data) * 4
