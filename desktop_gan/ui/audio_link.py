"""The window's handle on the audio engine, which may be missing or broken.

All engine calls from the UI go through here so that "no audio server", "engine not installed" or
"device vanished" become one ``error`` string for the status bar instead of exceptions, and the
rest of the window keeps working. The engine module is imported only when audio starts (after
the first paint), never at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Callable

from desktop_gan.core.params import AudioConfig


def default_engine_factory(config: AudioConfig):
    from desktop_gan.audio.engine import AudioEngine

    return AudioEngine(config)


def default_device_lister():
    from desktop_gan.audio.devices import list_devices

    return list_devices()


class EngineLink:
    def __init__(self, factory: Callable[[AudioConfig], Any] | None = None,
                 lister: Callable[[], list] | None = None) -> None:
        self.factory = factory or default_engine_factory
        self.lister = lister or default_device_lister
        self.engine = None
        self.error: str | None = "audio not started"

    # -- lifecycle ---------------------------------------------------------------------------
    def devices(self) -> tuple[list, str | None]:
        try:
            return list(self.lister()), None
        except Exception as exc:  # AudioDeviceError, or the audio layer missing entirely
            return [], _message(exc)

    def start(self, config: AudioConfig) -> bool:
        """Create (once) and start the engine; False and ``error`` set when that fails."""
        try:
            if self.engine is None:
                self.engine = self.factory(config)
                self.engine.start()
            else:
                self.engine.reconfigure(config)
            self.error = None
            return True
        except Exception as exc:
            self.error = _message(exc)
            return False

    def stop(self) -> None:
        eng, self.engine = self.engine, None
        if eng is None:
            return
        try:
            if getattr(eng, "recording", False):
                eng.stop_recording()
        except Exception:
            pass
        try:
            eng.stop()
        except Exception:
            pass

    @property
    def running(self) -> bool:
        return self.engine is not None and bool(_safe(lambda: self.engine.running, False))

    @property
    def player(self):
        return self.engine.player if self.running else None

    # -- calls that may fail --------------------------------------------------------------------
    def call(self, fn: Callable[[], Any], default=None):
        """Run ``fn`` against the engine; an exception becomes ``error`` and ``default``."""
        if self.engine is None:
            return default
        try:
            return fn()
        except Exception as exc:
            self.error = _message(exc)
            return default

    def load(self, data, samplerate: int) -> bool:
        if self.player is None:
            return False
        return bool(self.call(lambda: self.engine.player.load(data, samplerate) or True, False))

    def stats(self):
        return self.call(lambda: self.engine.stats())

    def meter(self):
        return self.call(lambda: self.engine.meter()) if self.running else None

    def start_recording(self, path: Path) -> bool:
        if not self.running:
            return False
        return bool(self.call(lambda: self.engine.start_recording(path) or True, False))

    def stop_recording(self) -> Path | None:
        return self.call(lambda: Path(self.engine.stop_recording()))

    @property
    def recording(self) -> bool:
        return bool(self.call(lambda: self.engine.recording, False))


def _safe(fn, default):
    try:
        return fn()
    except Exception:
        return default


def _message(exc: BaseException) -> str:
    if isinstance(exc, ModuleNotFoundError):
        return f"audio engine unavailable ({exc.name} missing)"
    text = str(exc).strip()
    return text or type(exc).__name__
