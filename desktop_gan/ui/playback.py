"""Transport behaviour: play/pause/stop/seek, loop region, recording takes, meter and playhead polling.

Positions cross the boundary in source frames (the engine's unit); the views work in seconds.
Without a running engine the transport still moves the playhead and keeps the loop region, and
says in the status bar why nothing is heard.
"""

from __future__ import annotations

import time
from pathlib import Path

from PySide6.QtCore import QObject, QTimer

from desktop_gan.core.params import AudioConfig
from desktop_gan.io.audiofile import Audio

METER_MS = 30
STATS_MS = 500
RETRY_S = 3.0  # after audio is lost, try the devices again this often


def takes_path(folder: Path, now: float | None = None) -> Path:
    """A new timestamped take file in ``folder`` (never an existing name)."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    path = folder / f"take-{stamp}.wav"
    n = 2
    while path.exists():
        path = folder / f"take-{stamp}-{n}.wav"
        n += 1
    return path


class Playback(QObject):
    def __init__(self, window) -> None:
        super().__init__(window)
        self.w = window
        self.link = window.engine_link
        self.audio: Audio | None = None
        self.position = 0  # source frames, kept here so the playhead works without an engine
        self.loop_enabled = False
        self.loop_region: tuple[int, int] | None = None  # frames
        self.take_path: Path | None = None
        self.enhanced_path: Path | None = None  # the enhanced twin of take_path, when live enhance runs
        self._lost_since: float | None = None  # when audio stopped on its own (None: it did not)
        self._last_retry = 0.0
        t = window.transport
        t.play_action.triggered.connect(self.toggle_play)
        t.stop_action.triggered.connect(self.stop)
        t.home_action.triggered.connect(lambda: self.seek_frames(self.loop_region[0] if self._looping() else 0))
        t.loop_action.toggled.connect(self.set_loop)
        t.record_action.toggled.connect(self.set_recording)
        self.meter_timer = QTimer(self)
        self.meter_timer.setInterval(METER_MS)
        self.meter_timer.timeout.connect(self.poll)
        self.stats_timer = QTimer(self)
        self.stats_timer.setInterval(STATS_MS)
        self.stats_timer.timeout.connect(self.poll_stats)
        self.meter_timer.start()
        self.stats_timer.start()
        self._player_job: int | None = None
        window.document.files.finished.connect(self._on_job_done)
        window.document.files.failed.connect(self._on_job_failed)

    @property
    def samplerate(self) -> int:
        return self.audio.samplerate if self.audio else 1

    # -- engine lifecycle ---------------------------------------------------------------------
    def restart_audio(self, config: AudioConfig, retry: bool = False) -> None:
        """(Re)start the engine with ``config``. ``retry``: after audio was lost, try the streams
        even when the (stale) device list says there is nothing; starting re-reads the devices."""
        devices, err = self.link.devices()
        started = False
        if retry:
            started = self.link.start(config)  # on failure ``link.error`` says why; poll_stats retries
            if started:
                devices, err = self.link.devices()
        self.w.device_bar.set_devices(devices, err)
        self.w.device_bar.set_config(config)
        if not retry:
            if err is not None:
                self.link.error = err
            else:
                started = self.link.start(config)
        if started:
            self.w.device_bar.meter.set_channels(config.channels_in)
            if self.audio is not None:
                self._load_into_player()
        self.poll_stats()

    def shutdown(self) -> None:
        self.meter_timer.stop()
        self.stats_timer.stop()
        if self.link.recording:
            self.link.stop_recording()
        self.link.stop()

    # -- file ---------------------------------------------------------------------------------
    def audio_loaded(self, audio: Audio) -> None:
        self.audio = audio
        self.position = 0
        self.loop_region = None
        self._load_into_player()
        self.set_loop(False)
        self._show_position()

    def _load_into_player(self) -> None:
        """Hand the buffer to the player on the files thread: the player checks and resamples the
        whole buffer, far too long for the GUI thread on a long file. Play waits until it is done."""
        self._player_job = None
        if self.audio is None or not self.link.running:
            return
        audio = self.audio
        self._player_job = self.w.document.files.submit(self.link.load, audio.data, audio.samplerate)

    def _on_job_done(self, job: int, ok) -> None:
        if job != self._player_job:
            return
        self._player_job = None
        if not ok:
            self.w.status(f"Playback unavailable: {self.link.error}")
            return
        if self.position:
            self.seek_frames(self.position)
        self._apply_loop()

    def _on_job_failed(self, job: int, message: str) -> None:
        if job == self._player_job:
            self._player_job = None
            self.w.status(f"Playback unavailable: {message}")

    @property
    def player_ready(self) -> bool:
        return self._player_job is None and self.link.player is not None

    # -- transport ----------------------------------------------------------------------------
    def _player(self):
        return self.link.player

    def toggle_play(self) -> None:
        if self.audio is None:
            self.w.status("Nothing to play: open a file first")
            return
        player = self._player()
        if player is None:
            self.w.status(f"No audio output: {self.link.error or 'engine not running'}")
            return
        if self._player_job is not None:
            self.w.status("Preparing playback…", 1500)
            return
        if self.link.call(lambda: player.playing, False):
            self.link.call(player.pause)
        else:
            if self.position >= len(self.audio.data) - 1 and not self._looping():
                self.seek_frames(0)
            self.link.call(player.play)
        self.poll()

    def stop(self) -> None:
        player = self._player()
        if player is not None:
            self.link.call(player.stop)
        self.seek_frames(self.loop_region[0] if self._looping() else 0)

    def seek_seconds(self, seconds: float) -> None:
        self.seek_frames(int(round(seconds * self.samplerate)))

    def seek_frames(self, frame: int) -> None:
        if self.audio is None:
            return
        frame = max(0, min(int(frame), len(self.audio.data)))
        self.position = frame
        player = self._player()
        if player is not None and self._player_job is None:  # else applied once the player has the file
            self.link.call(lambda: player.seek(frame))
        self._show_position()

    # -- loop ---------------------------------------------------------------------------------
    def _looping(self) -> bool:
        return self.loop_enabled and self.loop_region is not None

    def selection_changed(self, sel) -> None:
        if self.audio is None:
            return
        if sel is None:
            self.loop_region = None
        else:
            sr = self.samplerate
            a, b = int(round(sel[0] * sr)), int(round(sel[1] * sr))
            self.loop_region = (a, min(b, len(self.audio.data))) if b > a else None
        if self.loop_enabled:
            self._apply_loop()

    def set_loop(self, enabled: bool) -> None:
        if enabled and self.audio is None:
            enabled = False
            self.w.status("Nothing to loop: open a file first")
        self.loop_enabled = bool(enabled)
        if self.loop_enabled and self.loop_region is None and self.audio is not None:
            # No selection: loop the whole file and show it as the selection.
            self.w.waveform.set_selection((0.0, len(self.audio.data) / self.samplerate))
        self.w.transport.set_looping(self.loop_enabled)
        self._apply_loop()

    def _apply_loop(self) -> None:
        looping = self._looping()
        self.w.waveform.set_loop_look(looping)
        self.w.spectrogram.set_loop_look(looping)
        player = self._player()
        if player is None or self._player_job is not None:  # applied once the player has the file
            return
        if looping:
            a, b = self.loop_region
            self.link.call(lambda: player.set_loop(a, b))
        else:
            self.link.call(player.clear_loop)

    # -- recording ----------------------------------------------------------------------------
    def set_recording(self, on: bool) -> None:
        if on:
            if not self.link.running:
                self.w.transport.set_recording(False)
                self.w.status(f"Cannot record: {self.link.error or 'audio is not running'}")
                return
            folder = self.w.settings.takes_dir
            try:
                folder.mkdir(parents=True, exist_ok=True)
            except OSError as exc:
                self.w.transport.set_recording(False)
                self.w.show_error("Cannot record", f"Takes folder {folder} cannot be created ({exc.strerror})")
                return
            path = takes_path(folder)
            if self._start_enhanced_recording(path) or self.link.start_recording(path):
                self.take_path = path
                self.w.transport.set_recording(True)
                both = f" and {self.enhanced_path.name}" if self.enhanced_path else ""
                self.w.status(f"Recording {path.name}{both}…", 0)
            else:
                self.w.transport.set_recording(False)
                self.w.show_error("Cannot record", f"{path.name}: {self.link.error}")
            return
        if self.take_path is None:
            self.w.transport.set_recording(False)
            return
        path, enhanced = self._finish_take()
        kept = f"{path.name} and the enhanced {enhanced.name}" if enhanced else str(path)
        self.w.status(f"Take saved: {kept} in {path.parent}", 8000)
        self.w.open_file(path, status=f"Take saved: {kept} in {path.parent}")  # the raw take first

    def _finish_take(self, timeout: float = 2.0) -> tuple[Path, Path | None]:
        """End the take in progress: both takes while live enhance records its own (the enhanced
        path is None when it did not), else the engine's. Returns (raw take, enhanced take)."""
        path, enhanced = self.take_path, self.enhanced_path
        self.take_path = self.enhanced_path = None
        live = getattr(self.w, "live_recorder", None)
        both = None
        if enhanced is not None and live is not None:
            try:
                both = live.stop_recording(timeout=timeout)
            except Exception:  # e.g. the engine is gone: the raw take is finished below
                both = None
        if both is None and self.link.recording:  # a plain take, or live enhance was switched off
            path = self.link.stop_recording() or path
        self.w.transport.set_recording(False)
        return path, (enhanced if both else None)

    def _start_enhanced_recording(self, raw: Path) -> bool:
        """While live enhance runs (the Enhance panel registers itself as ``live_recorder``),
        the Record button keeps both takes: ``take-….wav`` raw and ``take-…-enhanced.wav``."""
        self.enhanced_path = None
        live = getattr(self.w, "live_recorder", None)
        if live is None or getattr(live, "live", None) is None:
            return False
        enhanced = raw.with_name(f"{raw.stem}-enhanced{raw.suffix}")
        try:
            ok = live.start_recording(raw, enhanced)
        except Exception as exc:  # the engine refused: reported like a plain take failing
            self.link.error = str(exc)
            return False
        if ok:
            self.enhanced_path = enhanced
        return bool(ok)

    # -- polling ------------------------------------------------------------------------------
    def poll(self) -> None:
        """Every ~30 ms: meters and playhead (cheap: a queue read and two attribute reads)."""
        levels = self.link.meter()
        if levels is not None:
            self.w.device_bar.meter.set_levels(*levels)
        player = self._player()
        playing = False
        if player is not None and self.audio is not None and self._player_job is None:
            playing = bool(self.link.call(lambda: player.playing, False))
            pos = self.link.call(lambda: player.position, None)
            if pos is not None:
                self.position = int(pos)
        self.w.transport.set_playing(playing)
        if self.take_path is not None:
            frames = self.link.call(lambda: self.link.engine.recorded_frames, 0) or 0
            rate = self.link.call(lambda: self.link.engine.config.samplerate, 48000) or 48000
            self.w.transport.set_time(frames / rate, frames / rate)
            return
        self._show_position(follow=playing)

    def poll_stats(self) -> None:
        """Every 0.5 s: the status bar; notices audio that stopped on its own, and retries it."""
        link = self.link
        stats = link.stats() if link.engine is not None else None
        if stats is not None and stats.error and not stats.running and self._lost_since is None:
            self._audio_lost(stats.error)
        elif self._lost_since is not None and link.running:
            self._lost_since = None
            self.w.status("Audio is back", 6000)
        elif self._lost_since is not None and time.monotonic() - self._last_retry >= RETRY_S:
            self._last_retry = time.monotonic()
            self.restart_audio(self.w.device_bar.config, retry=True)  # the same devices, if they are back
            return
        self.w.update_audio_status(stats if link.running else None)

    def _audio_lost(self, error: str) -> None:
        """The server or device went away mid-stream: say so, finish the take with everything
        recorded so far, and retry the devices every few seconds (or until another is chosen)."""
        self._lost_since = self._last_retry = time.monotonic()
        self.link.error = error
        message = f"Audio stopped: {error}."
        if self.take_path is not None:
            path, _ = self._finish_take(timeout=0.2)
            message += f" The take {path.name} keeps everything recorded until then."
            self.w.open_file(path, status=f"Take saved: {path} (stopped when audio was lost)")
        self.w.show_error("Audio stopped", message + " Retrying the devices; you can also choose others.")

    def _show_position(self, follow: bool = False) -> None:
        total = len(self.audio.data) if self.audio is not None else 0
        sec = self.position / self.samplerate
        self.w.waveform.set_playhead(sec)
        self.w.spectrogram.set_playhead(sec)
        self.w.transport.set_time(sec, total / self.samplerate)
        if follow:
            a, b = self.w.waveform.x_range()
            if sec > b or sec < a:  # page the view along with playback
                span = b - a
                self.w.waveform.set_x_range(sec - 0.05 * span, sec + 0.95 * span)
