"""Live and offline enhancement: the worker thread between the audio engine and the enhancer.

Live signal flow (one worker thread, started and joined here)::

    input callback -> tap.input_ring -> [LiveEnhancer thread: StreamingEnhancer.process] -> tap.output_ring
                                                         \\-> Recorder ring (enhanced take, its own writer thread)

The thread wakes every few milliseconds (an ``Event.wait`` with a timeout, never a busy loop), takes
up to one hop at a time from the input ring (whatever has arrived: waiting for a full hop would add
up to a hop of delay the engine does not budget for), runs the enhancer and writes the same number
of frames to the output ring. The engine plays output-ring frame ``p`` beside dry frame
``p - latency`` and gives the worker one input latency (its cushion) to deliver it; the worker asks
for ``latency = enhancer latency + margin`` and writes ``margin`` frames of silence first, so frame
``p`` holds the enhancement of input ``p - latency`` (exactly aligned with the dry fallback) and the
deadline grows by the margin. Parameters are swapped whole: ``set_params`` hands a frozen
``EnhanceParams`` to the enhancer by reference. When the thread falls behind (a backlog longer than
``max_backlog_s``) it skips the backlog, writing it as the input delayed by the enhancer latency
(the dry fallback's content, so indices stay aligned and nothing goes silent), resets the enhancer,
re-primes it with the last frames it skipped, and carries on. The worker ends by itself when the
engine detaches its tap (a restart); ``stats().attached`` then reads False.

Offline: :func:`enhance_offline` runs the same streaming enhancer over a whole take, in chunks, on
a job thread, with progress and cancellation; the result has the input's length and alignment.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from desktop_gan.audio.recorder import Recorder
from desktop_gan.core.params import EnhanceParams

EnhancerFactory = Callable[[int, int], object]  # (samplerate, channels) -> StreamingEnhancer


def model_factory(model_path: str | Path | None = None, params: EnhanceParams | None = None) -> EnhancerFactory:
    """A factory building a StreamingEnhancer from a model file (None = the shipped one)."""

    def build(samplerate: int, channels: int):
        from desktop_gan.runtime.enhancer import StreamingEnhancer

        return StreamingEnhancer(model_path, samplerate=samplerate, channels=channels, params=params)

    return build


def find_enhancer_models(dirs: list[Path]) -> list[tuple[str, Path]]:
    """(display name, weights path) for every ``*.safetensors`` whose JSON says kind 'enhancer'.

    A file whose JSON is missing or unreadable is still listed (choosing it shows the loader's
    error message); files of another kind are left out.
    """
    found: list[tuple[str, Path]] = []
    seen: set[Path] = set()
    for d in dirs:
        d = Path(d)
        if not d.is_dir():
            continue
        for w in sorted(d.glob("*.safetensors")):
            if w.resolve() in seen:
                continue
            seen.add(w.resolve())
            try:
                kind = json.loads(w.with_suffix(".json").read_text()).get("kind")
            except (OSError, ValueError, AttributeError):
                kind = None
            if kind in (None, "enhancer"):
                found.append((f"{w.stem} ({d.parent.name}/{d.name})", w))
    return found


@dataclass(frozen=True)
class LiveStats:
    running: bool
    rtf: float  # compute (the worker thread's CPU time) / audio time, exponential moving average
    rtf_peak: float  # worst single block since start, wall clock (waits for the CPU and the GIL too)
    added_latency_s: float  # extra delay of the processed path over plain monitoring
    total_latency_s: float  # input -> output: stream latencies + engine cushion + added
    underruns: int  # engine: PortAudio under/overflows
    monitor_underruns: int  # engine: output blocks that fell back to dry
    recoveries: int  # times the worker fell behind, dropped a backlog and re-primed
    attached: bool  # False once the engine stopped feeding the tap (detach, restart): start again
    processed_frames: int
    error: str | None
    resyncs: int = 0  # engine: times the monitor was re-delayed after running steadily late
    rtf_wall: float = 0.0  # like ``rtf`` on the wall clock: includes waiting for the CPU and the GIL


class LiveEnhancer:
    """Runs a StreamingEnhancer on the engine's live input in one worker thread."""

    def __init__(self, engine, enhancer_factory: EnhancerFactory, params: EnhanceParams | None = None,
                 max_backlog_s: float = 0.25, margin_s: float = 0.01, poll_s: float = 0.003,
                 on_block: Callable[[np.ndarray, np.ndarray], None] | None = None) -> None:
        self.engine = engine
        self.factory = enhancer_factory
        self._params = params or EnhanceParams()
        self.max_backlog_s, self.margin_s, self.poll_s = max_backlog_s, margin_s, poll_s
        self.on_block = on_block  # diagnostics/tests: called on the worker thread with (input, output)
        self.enhancer = None
        self.tap = None
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._rtf = 0.0
        self._rtf_peak = 0.0
        self._rtf_wall = 0.0
        self._recoveries = 0
        self._processed = 0
        self._error: str | None = None
        self._rec: Recorder | None = None
        self._rec_from = 0  # first output-ring index the enhanced take keeps
        self._rec_until: int | None = None  # output-ring index where the enhanced take ends
        self._rec_done = threading.Event()
        self._ready = threading.Event()  # set once the worker has warmed up and entered its loop

    # -- lifecycle (UI thread) -------------------------------------------------------------------
    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Build the enhancer (errors such as ModelFileError propagate), attach to the engine, start."""
        if self._thread is not None:
            return
        cfg = self.engine.config
        enh = self.factory(cfg.samplerate, cfg.channels_in)
        enh.set_params(self._params)
        enh.reset()
        self.enhancer = enh
        sr = cfg.samplerate
        self.hop = max(1, int(round(enh.model.hop * sr / enh.model.samplerate)))
        self.margin = int(round(self.margin_s * sr))
        self.attach_latency = int(enh.latency_samples + self.margin)  # output frame p = enhanced input p - this
        self._rtf = self._rtf_peak = self._rtf_wall = 0.0
        self._recoveries = self._processed = 0
        self._error = None
        self._stop.clear()
        self._ready.clear()
        self.tap = self.engine.attach_processor(self.attach_latency)
        self._thread = threading.Thread(target=self._run, name="desktop_gan-live-enhance", daemon=False)
        self._thread.start()

    def wait_ready(self, timeout: float | None = None) -> bool:
        """Wait until the worker has loaded the enhancer's compiled code and entered its loop."""
        return self._ready.wait(timeout)

    def stop(self) -> None:
        """Stop the thread (joined), detach from the engine, finish an enhanced take in progress."""
        if self._thread is None:
            return
        self._stop.set()
        self._thread.join()
        self._thread = None
        self.engine.detach_processor()
        rec, self._rec = self._rec, None
        if rec is not None:
            rec.stop()

    def set_params(self, params: EnhanceParams) -> None:
        """Reference swap, safe from any thread; the next block uses the new object."""
        self._params = params
        enh = self.enhancer
        if enh is not None:
            enh.set_params(params)

    @property
    def params(self) -> EnhanceParams:
        return self._params

    # -- recording both takes ----------------------------------------------------------------------
    def start_recording(self, raw_path: Path, enhanced_path: Path) -> None:
        """Record the raw input (engine recorder) and the enhanced output (second file) together.

        The enhanced take is latency compensated: its frame ``i`` is the enhanced version of the raw
        take's frame ``i`` (to within one input block if the input callback runs during this call).
        """
        if not self.running:
            raise RuntimeError("start live enhancement before recording the enhanced take")
        if self._rec is not None:
            raise RuntimeError("already recording")
        cfg = self.engine.config
        rec = Recorder(Path(enhanced_path), cfg.samplerate, cfg.channels_in)
        self._rec_from = 1 << 62  # nothing is pushed until the start index is known
        self._rec_until = None
        self._rec_done.clear()
        self._rec = rec
        try:
            self.engine.start_recording(Path(raw_path))
        except BaseException:
            self._rec = None
            rec.stop()
            raise
        # the raw take starts with the first input block after the engine's recorder is in place
        self._rec_from = self.tap.input_ring._written + self.attach_latency

    @property
    def recording(self) -> bool:
        return self._rec is not None

    def stop_recording(self, timeout: float = 2.0) -> tuple[Path, Path]:
        """Stop both takes; the enhanced one is cut to the raw one's length. Returns both paths."""
        rec = self._rec
        if rec is None:
            raise RuntimeError("not recording")
        raw = self.engine.stop_recording()
        frames = self.engine.recorded_frames
        self._rec_until = self._rec_from + frames
        self._rec_done.wait(timeout)  # the worker pushes the last processed frames
        self._rec = None
        return raw, rec.stop()

    # -- status (any thread) -----------------------------------------------------------------------
    def stats(self) -> LiveStats:
        est = self.engine.stats()
        sr = est.samplerate or 1
        added = (self.attach_latency / sr) if self.tap is not None else 0.0
        cushion = max(est.input_latency_s, 0.01)  # the engine's dry-path jitter cushion (AudioEngine._cushion)
        return LiveStats(
            running=self.running, rtf=self._rtf, rtf_peak=self._rtf_peak, added_latency_s=added,
            total_latency_s=est.input_latency_s + cushion + added + est.output_latency_s,
            underruns=est.underruns, monitor_underruns=est.monitor_underruns,
            recoveries=self._recoveries, processed_frames=self._processed, error=self._error,
            attached=self.tap is not None and getattr(self.tap, "attached", True),
            resyncs=getattr(est, "monitor_resyncs", 0), rtf_wall=self._rtf_wall)

    # -- the worker thread -----------------------------------------------------------------------
    def _run(self) -> None:
        tap, enh = self.tap, self.enhancer
        sr = self.engine.config.samplerate
        hop = self.hop
        backlog_limit = max(int(self.max_backlog_s * sr), 4 * hop)
        block = np.zeros((hop, tap.channels), np.float32)
        self._hist = np.zeros((enh.latency_samples, tap.channels), np.float32)  # last input frames
        try:
            # The first call loads the compiled frame kernel (prepare_runtime, normally done when the
            # panel is built); made here, untimed, so it never counts as a block. If that took long
            # (Live pressed at once, or the first compile ever), the engine has played the dry fallback
            # meanwhile and the input that came is skipped as in a recovery, not counted as one.
            enh.process(block)
            enh.reset()
            if self.margin:
                tap.output_ring.write(np.zeros((self.margin, tap.channels), np.float32))
            if tap.input_ring.available > backlog_limit:
                self._recover(tap, enh, tap.input_ring.available, count=False)
            self._ready.set()
            while not self._stop.is_set() and getattr(tap, "attached", True):
                avail = tap.input_ring.available
                if avail > backlog_limit:
                    self._recover(tap, enh, avail)
                    continue
                n = min(avail, hop)
                if n == 0:
                    self._stop.wait(self.poll_s)
                    continue
                x = block[:n]
                tap.input_ring.read_into(x, count_underrun=False)
                self._remember(x)
                t0, c0 = time.perf_counter(), time.thread_time()
                y = enh.process(x)
                wall, cpu = time.perf_counter() - t0, time.thread_time() - c0
                self._emit(tap, x, y)
                r, rw = cpu * sr / n, wall * sr / n
                self._rtf = r if self._rtf == 0.0 else 0.95 * self._rtf + 0.05 * r
                self._rtf_wall = rw if self._rtf_wall == 0.0 else 0.95 * self._rtf_wall + 0.05 * rw
                self._rtf_peak = max(self._rtf_peak, rw)
        except Exception as exc:  # the engine falls back to dry; the panel shows the message
            self._error = f"live enhancement stopped: {type(exc).__name__}: {exc}"

    def _emit(self, tap, x: np.ndarray, y: np.ndarray) -> None:
        start = tap.output_ring._written  # output index; holds the enhancement of input start - attach_latency
        tap.output_ring.write(y)
        self._processed += len(y)
        if self.on_block is not None:
            self.on_block(x.copy(), y)
        rec = self._rec
        if rec is not None:
            end = start + len(y)
            lo = max(start, self._rec_from)
            hi = end if self._rec_until is None else min(end, self._rec_until)
            if hi > lo:
                rec.push(y[lo - start:hi - start])
            if self._rec_until is not None and end >= self._rec_until:
                self._rec_done.set()

    def _remember(self, x: np.ndarray) -> None:
        """Keep the last ``latency`` input frames: the dry placeholder a recovery writes."""
        lat = len(self._hist)
        if lat:
            self._hist = np.concatenate([self._hist, x])[-lat:]

    def _recover(self, tap, enh, avail: int, count: bool = True) -> None:
        """Fell behind: skip the backlog, reset the enhancer and re-prime it with the last frames.

        The skipped stretch is written as the input delayed by the enhancer latency (what the dry
        fallback plays at those slots), so indices stay aligned and a slot that is still due plays
        dry audio rather than silence; the enhanced take gets the same dry stretch.
        """
        self._recoveries += count
        dropped = tap.input_ring.read(avail)
        lat = len(self._hist)
        delayed = np.concatenate([self._hist, dropped])[:avail]
        self._remember(dropped)
        enh.reset()
        if lat:
            enh.process(dropped[-lat:])  # output discarded: the model state and delay lines are warm again
        for i in range(0, avail, 8192):
            self._emit(tap, dropped[i:i + 8192], delayed[i:i + 8192])


def enhance_offline(audio: np.ndarray, samplerate: int, model_path: str | Path | None = None,
                    params: EnhanceParams | None = None, ctx=None, block_s: float = 0.5) -> np.ndarray:
    """A whole take through the streaming enhancer: same length and alignment, a new array.

    Runs as a job (``ctx`` reports progress and cancellation); equal to
    ``StreamingEnhancer.process_offline`` because the enhancer's output does not depend on block size.
    """
    from desktop_gan.runtime.enhancer import StreamingEnhancer

    x = np.asarray(audio, np.float32)
    mono = x.ndim == 1
    x2 = x[:, None] if mono else x
    enh = StreamingEnhancer(model_path, samplerate=samplerate, channels=x2.shape[1], params=params)
    lat = enh.latency_samples
    total = len(x2) + lat
    out = np.empty((total, x2.shape[1]), np.float32)
    step = max(1, int(block_s * samplerate))
    pad = np.zeros((lat, x2.shape[1]), np.float32)
    for i in range(0, total, step):
        if ctx is not None:
            ctx.check_cancelled()
            ctx.progress(i / total, "enhancing")
        j = min(i + step, total)
        piece = x2[i:min(j, len(x2))]
        if j > len(x2):
            piece = np.concatenate([piece, pad[: j - max(i, len(x2))]])
        out[i:j] = enh.process(piece)
    if ctx is not None:
        ctx.progress(1.0, "done")
    y = out[lat:]
    return y[:, 0].copy() if mono else y


def prepare_runtime() -> None:
    """A job for app start: load the enhancer's compiled code (numba's import and its on-disk cache,
    about 0.5 s; the first compile on a machine about 10 s) on a worker thread, so neither the UI nor
    the live worker waits for it later. One block through the shipped model at 44.1 kHz calls the
    frame kernel and both resampler loops with the argument types every enhancer uses. Idempotent."""
    from desktop_gan.runtime.enhancer import StreamingEnhancer

    StreamingEnhancer(None, samplerate=44100, channels=1).process(np.zeros(441, np.float32))


def check_model(model_path: str | Path | None) -> str | None:
    """None when the model loads and its weights fit its config; otherwise the message to show
    (ModelFileError's text). Cheap enough for the UI thread: it does not run the model."""
    from desktop_gan.io.modelfile import ModelFileError
    from desktop_gan.runtime.enhancer import load_band_gain_model

    try:
        load_band_gain_model(model_path)
    except ModelFileError as exc:
        return str(exc)
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return f"{Path(model_path).name if model_path else 'model'}: cannot be used ({exc})"
    return None
