"""Fixtures for the main-window tests (QT_QPA_PLATFORM=offscreen).

``RecordingEngine`` is a stand-in that implements the audio engine contract (player, recorder,
meters, stats) in memory, so the window's wiring can be checked call by call; tests with the real
engine use the session ``pulse_server`` from tests/conftest.py.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


@dataclass(frozen=True)
class Stats:
    samplerate: int
    input_name: str
    output_name: str
    input_latency_s: float
    output_latency_s: float
    underruns: int
    overruns: int
    monitor_underruns: int
    error: str | None
    running: bool


class FakePlayer:
    def __init__(self) -> None:
        self.calls: list[tuple] = []
        self.data = None
        self.samplerate = 0
        self._pos = 0
        self._t0 = None
        self.loop: tuple[int, int] | None = None

    def load(self, data, samplerate):
        self.calls.append(("load", len(data), samplerate))
        self.data, self.samplerate, self._pos, self._t0 = data, samplerate, 0, None

    @property
    def length(self):
        return 0 if self.data is None else len(self.data)

    @property
    def playing(self):
        return self._t0 is not None

    @property
    def position(self):
        if self._t0 is None:
            return self._pos
        pos = self._pos + int((time.monotonic() - self._t0) * self.samplerate)
        if self.loop:
            a, b = self.loop
            if pos >= b:
                pos = a + (pos - a) % (b - a)
        return min(pos, self.length)

    def play(self):
        self.calls.append(("play",))
        self._t0 = time.monotonic()

    def pause(self):
        self.calls.append(("pause",))
        self._pos, self._t0 = self.position, None

    def stop(self):
        self.calls.append(("stop",))
        self._t0 = None
        self._pos = self.loop[0] if self.loop else 0

    def seek(self, frame):
        self.calls.append(("seek", frame))
        self._pos = frame
        if self._t0 is not None:
            self._t0 = time.monotonic()

    def set_loop(self, a, b):
        self.calls.append(("set_loop", a, b))
        self.loop = (a, b)

    def clear_loop(self):
        self.calls.append(("clear_loop",))
        self.loop = None

    @property
    def loop_enabled(self):
        return self.loop is not None


class RecordingEngine:
    """In-memory engine following the AudioEngine contract; records a 440 Hz tone."""

    def __init__(self, config) -> None:
        self.config = config
        self.player = FakePlayer()
        self.running = False
        self._rec_path: Path | None = None
        self._rec_t0 = 0.0

    def start(self):
        self.running = True

    def stop(self):
        self.running = False

    def reconfigure(self, config):
        self.config = config

    def stats(self):
        return Stats(self.config.samplerate, "Fake In", "Fake Out", 0.01, 0.02, 3, 1, 0, None, self.running)

    def meter(self):
        return np.array([0.5]), np.array([0.1])

    def start_recording(self, path):
        self._rec_path, self._rec_t0 = Path(path), time.monotonic()
        sf.write(str(path), np.zeros((1, 1), np.float32), self.config.samplerate)  # the file exists at once

    def stop_recording(self):
        sr = self.config.samplerate
        t = np.arange(sr // 2) / sr
        sf.write(str(self._rec_path), (0.3 * np.sin(2 * np.pi * 440 * t)).astype(np.float32)[:, None], sr)
        path, self._rec_path = self._rec_path, None
        return path

    @property
    def recording(self):
        return self._rec_path is not None

    @property
    def recorded_frames(self):
        return int((time.monotonic() - self._rec_t0) * self.config.samplerate) if self._rec_path else 0


class NoServerError(Exception):
    pass


def failing_factory(config):
    class Failing:
        player = None
        running = False

        def start(self):
            raise NoServerError("no audio server/device: PortAudio found no audio devices")

    return Failing()


def failing_lister():
    raise NoServerError("no audio server/device: PortAudio found no audio devices")


@dataclass
class Dev:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float = 48000.0
    is_default_input: bool = False
    is_default_output: bool = False


def fake_devices():
    return [Dev(0, "Mic", "ALSA", 2, 0, is_default_input=True), Dev(1, "Speakers", "ALSA", 0, 2, is_default_output=True)]


def write_tone(path: Path, seconds=1.5, sr=48000, channels=2) -> Path:
    t = np.arange(int(seconds * sr)) / sr
    x = 0.4 * np.sin(2 * np.pi * 440 * t) * np.linspace(0, 1, len(t))
    data = np.stack([x * (0.5 + 0.5 * c) for c in range(channels)], axis=1).astype(np.float32)
    sf.write(str(path), data, sr, subtype="PCM_16")
    return path


@pytest.fixture
def settings(tmp_path):
    from desktop_gan.ui.settings import Settings

    s = Settings(tmp_path / "cfg" / "ui.json")
    s.takes_dir = tmp_path / "takes"
    return s


@pytest.fixture
def make_window(qtbot, settings):
    from desktop_gan.ui.audio_link import EngineLink
    from desktop_gan.ui.main_window import MainWindow
    from desktop_gan.ui.theme import apply_theme, configure_pyqtgraph
    from PySide6.QtWidgets import QApplication

    apply_theme(QApplication.instance())
    configure_pyqtgraph()

    def make(engine="failing", panels=(), start_audio=True, **kw):
        if engine == "failing":
            link = EngineLink(factory=failing_factory, lister=failing_lister)
        elif engine == "fake":
            link = EngineLink(factory=RecordingEngine, lister=fake_devices)
        else:
            link = engine
        w = MainWindow(kw.pop("settings", settings), engine_link=link, panels=list(panels),
                       start_audio=start_audio, **kw)
        qtbot.addWidget(w)
        w.show()
        qtbot.waitUntil(lambda: w._painted, timeout=5000)
        qtbot.wait(20)  # let the deferred audio start run
        return w

    return make


def load(qtbot, window, path, complete=True):
    with qtbot.waitSignal(window.fileShown, timeout=10000):
        window.open_file(path)
    if window.engine_link.running:  # the buffer reaches the player on the files thread
        qtbot.waitUntil(lambda: window.playback.player_ready, timeout=10000)
    if complete:
        qtbot.waitUntil(lambda: window.spectrogram.complete, timeout=10000)
