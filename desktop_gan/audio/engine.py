"""The audio engine: separate input and output sounddevice streams around preallocated rings.

Sound flows device -> input callback -> rings -> output callback -> device. The callbacks only copy
to and from preallocated :class:`~desktop_gan.core.ringbuffer.RingBuffer` objects and scratch arrays,
count xruns from PortAudio's status flags and post meter values; they never lock, log, touch Qt or
run a model. Input and output are two streams (not duplex; ``blocksize=0``): a duplex stream with a
fixed block size slipped samples through PulseAudio, separate streams did not.

Contract (used by the UI and the live enhancer)::

    eng = AudioEngine(config)            # opens nothing
    eng.start()                          # AudioDeviceError with a user message if no server/device
    eng.stop(); eng.running; eng.reconfigure(config); eng.config
    eng.stats() -> EngineStats           # rate, device names, latencies, xrun counters, error, running
    eng.meter() -> (peak, rms) | None    # linear, per input channel; latest value, None if nothing new
    eng.player                           # Player: load/play/pause/stop/seek/set_loop/clear_loop ...
    eng.start_recording(path); eng.stop_recording() -> Path; eng.recording; eng.recorded_frames
    eng.set_monitor(enabled)             # dry input to the output
    tap = eng.attach_processor(latency_samples)  # LiveTap(input_ring, output_ring)
    eng.detach_processor()

Live processing: the input callback writes every input block into ``tap.input_ring``; a worker thread
(in ``workers/``) processes it and writes ``tap.output_ring``. The output callback plays the processed
frames that line up with the dry signal delayed by ``latency_samples``; where the worker has not
delivered them in time it plays that delayed dry signal instead and counts the block in
``stats().monitor_underruns``. Processed frames that arrive too late are skipped, so the two paths stay
aligned to the sample. The dry monitor runs one input-stream latency behind the newest input (a
cushion against the input's block jitter); with a processor attached, ``latency_samples`` more.

A restart (``reconfigure``) detaches the processor: ``tap.attached`` turns false and the worker
attaches a new tap.

Errors: a stream that stops on its own (audio server gone, device unplugged) or a callback that fails
leaves ``stats().error`` set and ``running`` false; the engine stays usable and ``reconfigure`` (or
``stop`` + ``start``) opens fresh streams, re-reading PortAudio's device list after a failure.
"""

from __future__ import annotations

import queue
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_gan.audio.devices import AudioDeviceError, _sounddevice, describe_stream_error, rescan_devices
from desktop_gan.audio.player import Player
from desktop_gan.audio.recorder import Recorder
from desktop_gan.core.params import AudioConfig
from desktop_gan.core.ringbuffer import RingBuffer
from desktop_gan.dsp.meters import BlockMeter

SCRATCH_FRAMES = 8192  # blocks longer than this are handled in pieces
RESYNC_AFTER = 24  # consecutive late monitor blocks (with the processor keeping up) before a resync
METER_SLOTS = 4  # rotating meter buffers, so a reader never sees a slot being rewritten


@dataclass(frozen=True)
class EngineStats:
    samplerate: int
    input_name: str
    output_name: str
    input_latency_s: float
    output_latency_s: float
    underruns: int  # output underflows + input underflows reported by PortAudio
    overruns: int  # input overflow events reported by PortAudio + frames the recorder ring dropped
    monitor_underruns: int  # output blocks that fell back to dry or had no input to monitor
    error: str | None
    running: bool
    monitor_resyncs: int = 0  # times the monitor path was re-delayed because it ran steadily late


class LiveTap:
    """The rings between the engine and a live processor (one worker thread on the other side)."""

    def __init__(self, latency_samples: int, samplerate: int, channels: int, seconds: float = 2.0) -> None:
        cap = int(seconds * samplerate) + int(latency_samples)
        self.latency_samples = int(latency_samples)
        self.samplerate = int(samplerate)
        self.channels = int(channels)
        self.input_ring = RingBuffer(cap, channels)  # written by the input callback
        self.output_ring = RingBuffer(cap, channels)  # written by the worker, read by the output callback
        self.start = -1  # dry frame index of the first frame fed to input_ring (set by the input callback)
        self.read_total = 0  # frames the output callback took from output_ring
        self.attached = True  # False once the engine stops feeding it (detach, restart)


class AudioEngine:
    def __init__(self, config: AudioConfig) -> None:
        self._config = config
        self.player = Player(config.samplerate)
        self._in = self._out = None
        self._error: str | None = None
        self._stopping = False
        self._meter_q: queue.Queue = queue.Queue(maxsize=1)
        self._recorder: Recorder | None = None
        self._last_recording: Recorder | None = None
        self._tap: LiveTap | None = None
        self._monitor = False
        self._route = (0, False, None)  # (serial, monitor, tap) swapped whole by the UI side
        self._route_done = -1
        self._names = ("", "")
        self._reset_counters()
        self._allocate(config)

    # -- set-up ----------------------------------------------------------------------------------
    def _reset_counters(self) -> None:
        self._underruns = self._overruns = self._monitor_underruns = 0
        self._monitor_resyncs = self._late_blocks = 0
        self._rec_overruns = 0

    def _allocate(self, cfg: AudioConfig) -> None:
        sr, cin, cout = cfg.samplerate, cfg.channels_in, cfg.channels_out
        self._dry = RingBuffer(2 * sr, cin)
        self._dry_scratch = np.zeros((SCRATCH_FRAMES, cin), np.float32)
        self._proc_scratch = np.zeros((SCRATCH_FRAMES, cin), np.float32)
        self._meter = BlockMeter(cin, SCRATCH_FRAMES)
        self._meter_slots = [(np.zeros(cin, np.float32), np.zeros(cin, np.float32)) for _ in range(METER_SLOTS)]
        self._meter_i = 0
        self._discard = np.zeros((SCRATCH_FRAMES, cin), np.float32)
        self._dry_w = self._dry_r = 0  # frames written to / taken from the dry ring since start
        self._dry_next = self._dry_origin = 0  # dry frame index the next output frame plays
        self._cushion = int(0.05 * sr)  # frames kept in hand against input block jitter (set in start)
        self.player.set_device_rate(sr)

    @property
    def config(self) -> AudioConfig:
        return self._config

    @property
    def running(self) -> bool:
        return self._in is not None and self._error is None and bool(self._in.active and self._out.active)

    def start(self) -> None:
        """Open and start the input and output streams."""
        if self._in is not None:
            return
        sd = _sounddevice()
        cfg = self._config
        self._error = None
        self._stopping = False
        self._reset_counters()
        self._allocate(cfg)
        self._meter_q = queue.Queue(maxsize=1)  # no stale value from the previous streams
        self._abort = sd.CallbackAbort
        if self._tap is not None:  # its timeline belonged to the old streams
            self.detach_processor()
        self._route_done = -1
        try:
            self._in = self._open(sd.InputStream, "the input", cfg.input_device, cfg.channels_in,
                                  self._guarded_input)
            self._out = self._open(sd.OutputStream, "the output", cfg.output_device, cfg.channels_out,
                                   self._guarded_output)
            # the dry path keeps one input latency in hand against the input stream's block jitter
            self._cushion = int(max(float(self._in.latency), 0.01) * cfg.samplerate)
            self._names = self._stream_names(sd)
            try:
                self._in.start()
                self._out.start()
            except Exception as exc:
                raise AudioDeviceError(f"no audio server/device: cannot start the streams: {exc}") from exc
        except AudioDeviceError:
            self._stopping = True
            for stream in (self._in, self._out):
                if stream is not None:
                    try:
                        stream.close(ignore_errors=True)
                    except Exception:
                        pass
            self._in = self._out = None
            raise

    def _open(self, stream_class, what: str, device, channels: int, callback):
        try:
            return stream_class(
                samplerate=self._config.samplerate, channels=channels, dtype="float32", blocksize=0,
                device=device, latency=self._config.latency, callback=callback,
                finished_callback=self._finished)
        except Exception as exc:
            raise describe_stream_error(exc, what, device) from exc

    def stop(self) -> None:
        """Stop and close both streams (a recording in progress is finished first)."""
        if self._recorder is not None:
            self.stop_recording()
        self._stopping = True
        for s in (self._in, self._out):
            if s is not None:
                try:
                    s.abort(ignore_errors=True)
                    s.close(ignore_errors=True)
                except Exception:
                    pass
        self._in = self._out = None

    def reconfigure(self, config: AudioConfig) -> None:
        """Stop, take the new config, start again (also the way back after an error: after a stream
        failure PortAudio is re-initialised so that a restarted server or replugged device is found)."""
        failed = self._error is not None or self._in is None  # lost, or a start that failed
        self.stop()
        self._config = config
        if failed:
            rescan_devices()
        self.start()

    def _finished(self) -> None:
        if not self._stopping and self._error is None:
            self._error = "audio server disappeared (the stream stopped on its own)"

    # -- status ----------------------------------------------------------------------------------
    def stats(self) -> EngineStats:
        cfg = self._config
        if self._in is not None and not self._stopping and self._error is None:
            if not (self._in.active and self._out.active):
                self._error = "audio server disappeared (the stream stopped on its own)"
        rec = self._recorder
        error = self._error or (rec.error if rec is not None else None)
        return EngineStats(
            samplerate=cfg.samplerate,
            input_name=self._names[0],
            output_name=self._names[1],
            input_latency_s=float(self._in.latency) if self._in is not None else 0.0,
            output_latency_s=float(self._out.latency) if self._out is not None else 0.0,
            underruns=self._underruns,
            overruns=self._overruns + self._rec_overruns + (rec.overruns if rec is not None else 0),
            monitor_underruns=self._monitor_underruns,
            monitor_resyncs=self._monitor_resyncs,
            error=error,
            running=self.running,
        )

    def _stream_names(self, sd) -> tuple[str, str]:
        names = []
        for stream, device in ((self._in, self._config.input_device), (self._out, self._config.output_device)):
            try:
                names.append(str(sd.query_devices(stream.device)["name"]))
            except Exception:
                names.append("default" if device is None else str(device))
        return names[0], names[1]

    def meter(self) -> tuple[np.ndarray, np.ndarray] | None:
        """Latest (peak, rms) per input channel, linear; None when nothing new arrived."""
        try:
            peak, rms = self._meter_q.get_nowait()
        except queue.Empty:
            return None
        return peak.copy(), rms.copy()

    # -- recording -------------------------------------------------------------------------------
    def start_recording(self, path: Path) -> None:
        if self._in is None:
            raise AudioDeviceError("start the audio engine before recording")
        if self._recorder is not None:
            raise RuntimeError("already recording")
        self._recorder = Recorder(Path(path), self._config.samplerate, self._config.channels_in)

    def stop_recording(self) -> Path:
        rec = self._recorder
        if rec is None:
            raise RuntimeError("not recording")
        self._recorder = None  # the callback stops pushing from its next block
        path = rec.stop()
        self._rec_overruns += rec.overruns
        self._last_recording = rec
        if rec.error:
            raise OSError(rec.error)
        return path

    @property
    def recording(self) -> bool:
        return self._recorder is not None

    @property
    def recorded_frames(self) -> int:
        rec = self._recorder or self._last_recording
        return 0 if rec is None else rec.frames_written

    # -- monitoring and live processing ----------------------------------------------------------
    def set_monitor(self, enabled: bool) -> None:
        self._monitor = bool(enabled)
        self._route = (self._route[0] + 1, self._monitor, self._tap)

    def attach_processor(self, latency_samples: int) -> LiveTap:
        if latency_samples < 0:
            raise ValueError("latency_samples must be >= 0")
        tap = LiveTap(latency_samples, self._config.samplerate, self._config.channels_in)
        self._tap = tap
        self._route = (self._route[0] + 1, self._monitor, tap)
        return tap

    def detach_processor(self) -> None:
        """Stop feeding the tap (also done by ``start``/``reconfigure``); its worker should end."""
        if self._tap is not None:
            self._tap.attached = False
        self._tap = None
        self._route = (self._route[0] + 1, self._monitor, None)

    # -- callbacks (realtime: no allocation beyond views, no locks, no logging) ------------------
    def _guarded_input(self, indata, frames, time, status) -> None:
        try:
            self._input_callback(indata, frames, time, status)
        except Exception as exc:  # a bug must not look like a vanished server
            self._error = f"audio input callback failed: {exc!r}"
            raise self._abort from exc

    def _guarded_output(self, outdata, frames, time, status) -> None:
        try:
            self._output_callback(outdata, frames, time, status)
        except Exception as exc:
            outdata.fill(0.0)
            self._error = f"audio output callback failed: {exc!r}"
            raise self._abort from exc

    def _input_callback(self, indata, frames, time, status) -> None:
        if status.input_overflow:
            self._overruns += 1
        if status.input_underflow:
            self._underruns += 1
        rec = self._recorder
        if rec is not None:
            rec.push(indata)
        _, monitor, tap = self._route
        if monitor or tap is not None:
            if tap is not None:
                if tap.start < 0:
                    tap.start = self._dry_w
                tap.input_ring.write(indata)
            self._dry_w += self._dry.write(indata)
        self._post_meter(indata)

    def _post_meter(self, indata) -> None:
        m = self._meter
        m.measure(indata)
        self._meter_i = (self._meter_i + 1) % METER_SLOTS
        peak, rms = self._meter_slots[self._meter_i]
        peak[:] = m.peak
        rms[:] = m.rms
        try:
            self._meter_q.get_nowait()  # replace an unread value with the newer one
        except queue.Empty:
            pass
        try:
            self._meter_q.put_nowait((peak, rms))
        except queue.Full:
            pass

    def _output_callback(self, outdata, frames, time, status) -> None:
        if status.output_underflow:
            self._underruns += 1
        outdata.fill(0.0)
        serial, monitor, tap = self._route
        if serial != self._route_done:  # routing changed: restart the dry timeline with a fresh hold
            self._route_done = serial
            hold = self._cushion + (tap.latency_samples if tap is not None else 0)
            self._dry_origin = self._dry_w
            self._dry_next = self._dry_origin - hold
        if monitor or tap is not None:
            for start in range(0, frames, SCRATCH_FRAMES):
                self._render_live(outdata[start:start + SCRATCH_FRAMES], tap)
        self.player.render(outdata)

    def _render_live(self, out: np.ndarray, tap: LiveTap | None) -> None:
        n = len(out)
        want = self._dry_next  # dry frame index (input frames counted since start) for out[0]
        self._dry_next += n
        dry = self._dry_scratch[:n]
        self._dry_r, got = self._read_window(self._dry, self._dry_r, want, dry)
        held = min(max(self._dry_origin - want, 0), n)  # slots still inside the start-up hold
        src, fallback = dry, got < n - held
        late = want + n - self._dry_w if fallback else 0  # frames the newest input is behind this block
        keeping_up = True
        if tap is not None and tap.start >= 0:
            pos = want - tap.start + tap.latency_samples  # processed frame that lines up with out[0]
            if pos >= 0:
                proc = self._proc_scratch[:n]
                tap.read_total, got_p = self._read_window(tap.output_ring, tap.read_total, pos, proc)
                if got_p == n:
                    src = proc
                else:
                    fallback = True
                    late = max(late, pos + n - (tap.read_total + tap.output_ring.available))
                    keeping_up = tap.input_ring.available <= self._cushion  # not a stalled worker
        if fallback:
            self._monitor_underruns += 1
            self._resync_if_steadily_late(late, keeping_up)
        else:
            self._late_blocks = 0
        if src.shape[1] == 1 or out.shape[1] == 1:
            out += src[:, :1]
        else:
            ch = min(src.shape[1], out.shape[1])
            out[:, :ch] += src[:, :ch]

    def _resync_if_steadily_late(self, late: int, keeping_up: bool) -> None:
        """The monitor's timeline lost its cushion for good (a step in the streams' relative timing,
        e.g. a burst at start-up), not a passing stall: with the processor keeping up, every block
        would fall back to dry from now on. Re-delay the monitor by the lateness plus half a cushion:
        one short gap, then processed audio again, aligned as before. Counted in ``monitor_resyncs``."""
        if late <= 0 or not keeping_up:
            self._late_blocks = 0
            return
        self._late_blocks += 1
        if self._late_blocks >= RESYNC_AFTER:
            self._dry_next -= late + self._cushion // 2
            self._monitor_resyncs += 1
            self._late_blocks = 0

    def _read_window(self, ring: RingBuffer, read_total: int, want: int, out: np.ndarray) -> tuple[int, int]:
        """Fill ``out`` with ring frames ``[want, want + len(out))``; frames not there are zeros.

        ``read_total`` is how many frames were taken from the ring so far; frames before ``want``
        are skipped. Returns the new read total and how many frames of ``out`` hold real data.
        """
        n = len(out)
        while read_total < want and ring.available:
            k = min(want - read_total, ring.available, SCRATCH_FRAMES)
            ring.read_into(self._discard[:k], count_underrun=False)
            read_total += k
        lead = min(max(read_total - want, 0), n)  # slots before the ring's data (hold) or already gone
        out[:lead] = 0.0
        if lead < n and read_total >= want:
            got = ring.read_into(out[lead:], count_underrun=False)
        else:
            got = 0
            out[lead:] = 0.0
        return read_total + got, got
