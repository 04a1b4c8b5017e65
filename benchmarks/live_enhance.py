"""Live enhancement through real PortAudio streams: underruns, compute RTF and latency over a long run.

Starts a private PulseAudio server with a null sink (``tests/pulse.py``: the sink's monitor is the
default source, so what the engine plays comes back as its input), opens the audio engine at 48 kHz
with 'high' latency, plays a tone-plus-noise clip in a loop through the engine's player so the input
is not silence, and runs ``LiveEnhancer`` (the app's worker thread) for ``--seconds``. Reports the
engine's PortAudio underruns, the monitor underruns (output blocks where the processed audio was not
there in time and dry was played), the worker's compute real-time factor (EMA and worst block), its
recoveries, and the added and total latency. Prints a table and one JSON line.

Then it checks the alignment for real (``--no-echo`` skips it): with ``listen='dry'`` the processed
path is an exact delayed copy of the input, so a click played into the loopback returns once per
round trip. The worker is stalled once for 0.2 s so the engine plays its dry fallback for a while;
if the processed path and the fallback line up, every interval between returns is the same
(reported: the largest deviation from the median interval, in samples).

    python benchmarks/live_enhance.py [--seconds 60] [--rate 48000] [--latency high] [--model PATH]
    python benchmarks/live_enhance.py --seconds 600 --record   # the 10-minute soak: also records the
                                                             # raw input to disk; memory start/end

With ``--record`` the raw input and the enhanced output are recorded for the whole run (the Record
button while live enhance runs: two takes), the files are read back and their lengths checked, and the process RSS
is reported at the start and end (flat memory) with its peak in between.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--rate", type=int, default=48000)
    ap.add_argument("--channels", type=int, default=1)
    ap.add_argument("--latency", default="high")
    ap.add_argument("--margin-ms", type=float, default=10.0, help="worker safety margin in the added latency")
    ap.add_argument("--no-echo", action="store_true", help="skip the click-echo alignment check")
    ap.add_argument("--model", default=None, help="enhancer .safetensors (default: the shipped one)")
    ap.add_argument("--record", action="store_true", help="record the raw input to disk during the run")
    args = ap.parse_args(argv)

    from pulse import PulseServer  # tests/pulse.py

    server = PulseServer().start()
    os.environ["PULSE_SERVER"] = server.server  # before sounddevice is imported
    try:
        return _run(args)
    finally:
        server.stop()


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def _run(args) -> int:
    import numpy as np

    from desktop_gan.audio.engine import AudioEngine
    from desktop_gan.core.params import AudioConfig, EnhanceParams
    from desktop_gan.workers.live_enhance import LiveEnhancer, model_factory, prepare_runtime

    sr = args.rate
    prepare_runtime()  # as the Enhance panel does when it is built (loads the compiled kernel)
    eng = AudioEngine(AudioConfig(samplerate=sr, channels_in=args.channels, channels_out=2, latency=args.latency))
    eng.start()
    rng = np.random.default_rng(0)
    t = np.arange(4 * sr) / sr
    clip = 0.2 * np.sin(2 * np.pi * 220 * t) * (np.sin(2 * np.pi * 1.5 * t) > 0) + 0.03 * rng.standard_normal(len(t))
    eng.player.load(np.repeat(clip[:, None], 2, axis=1).astype(np.float32), sr)
    eng.player.set_loop(0, len(clip))
    eng.player.play()

    live = LiveEnhancer(eng, model_factory(args.model), params=EnhanceParams(strength_db=30.0),
                        margin_s=args.margin_ms / 1000)
    cpu0 = time.process_time()
    live.start()
    tmp = tempfile.TemporaryDirectory(prefix="live_enhance_")
    take = Path(tmp.name) / "take.wav"
    take_enh = Path(tmp.name) / "take-enhanced.wav"
    if args.record:  # the Record button while live enhance runs: the raw and the enhanced take
        live.start_recording(take, take_enh)
    rss = [rss_mb()]
    t0 = time.monotonic()
    samples = []
    try:
        while time.monotonic() - t0 < args.seconds:
            time.sleep(min(1.0, max(0.0, args.seconds - (time.monotonic() - t0))))
            samples.append(live.stats())
            rss.append(rss_mb())
            if len(samples) % 60 == 0:
                st = samples[-1]
                print(f"  {time.monotonic() - t0:5.0f} s  underruns {st.underruns}  monitor underruns "
                      f"{st.monitor_underruns}  resyncs {st.resyncs}  rss {rss[-1]:.1f} MB", flush=True)
    finally:
        wall = time.monotonic() - t0
        final = live.stats()
        recorded = 0
        if args.record:
            live.stop_recording()
            recorded = eng.recorded_frames
        live.stop()
        cpu = time.process_time() - cpu0
        eng.stop()
    record = {}
    if args.record:
        import soundfile as sf

        info, info_enh = sf.info(str(take)), sf.info(str(take_enh))
        record = {"recorded_s": round(info.frames / info.samplerate, 2), "recorded_frames_match": info.frames == recorded,
                  "enhanced_take_frames_match": info_enh.frames == info.frames,
                  "rss_start_mb": round(rss[0], 1), "rss_end_mb": round(rss[-1], 1), "rss_peak_mb": round(max(rss), 1)}
    tmp.cleanup()
    echo = None
    if not args.no_echo:  # a fresh engine: nothing of the main run is left in its rings
        eng = AudioEngine(eng.config)
        eng.start()
        try:
            echo = _echo_check(eng, args.model)
        finally:
            eng.stop()
    rtfs = [s.rtf for s in samples if s.rtf > 0]
    walls = [s.rtf_wall for s in samples if s.rtf_wall > 0]
    res = {
        "seconds": round(wall, 2),
        "samplerate": sr,
        "channels": args.channels,
        "latency_setting": args.latency,
        "margin_ms": args.margin_ms,
        "underruns": final.underruns,
        "monitor_underruns": final.monitor_underruns,
        "monitor_resyncs": final.resyncs,
        "recoveries": final.recoveries,
        "rtf_mean": round(float(np.mean(rtfs)), 4) if rtfs else None,
        "rtf_wall_mean": round(float(np.mean(walls)), 4) if walls else None,
        "rtf_ema_final": round(final.rtf, 4),
        "rtf_worst_block": round(final.rtf_peak, 4),
        "added_latency_ms": round(final.added_latency_s * 1000, 2),
        "enhancer_latency_ms": round(live.enhancer.latency_samples / sr * 1000, 2),
        "total_latency_ms": round(final.total_latency_s * 1000, 2),
        "processed_s": round(final.processed_frames / sr, 2),
        "process_cpu_percent": round(100 * cpu / wall, 1),
        "error": final.error,
        **record,
        **(echo or {}),
    }
    rows = [("run", f"{res['seconds']} s at {sr} Hz, {args.channels} ch, latency '{args.latency}'"),
            ("processed", f"{res['processed_s']} s"),
            ("underruns (PortAudio)", res["underruns"]),
            ("monitor underruns (dry fallback)", res["monitor_underruns"]),
            ("monitor resyncs (re-delayed once steadily late)", res["monitor_resyncs"]),
            ("recoveries", res["recoveries"]),
            ("compute RTF mean (worker CPU time)", res["rtf_mean"]),
            ("wall-clock RTF mean / worst block", f"{res['rtf_wall_mean']} / {res['rtf_worst_block']}"),
            ("enhancer latency", f"{res['enhancer_latency_ms']} ms"),
            ("added latency (vs. dry monitor)", f"{res['added_latency_ms']} ms"),
            ("total input->output latency", f"{res['total_latency_ms']} ms"),
            ("process CPU (engine+worker+player)", f"{res['process_cpu_percent']} %"),
            ("error", res["error"])]
    if record:
        rows += [("recorded (raw input, read back)", f"{record['recorded_s']} s, frames match: {record['recorded_frames_match']}"),
                 ("enhanced take, same length", str(record["enhanced_take_frames_match"])),
                 ("RSS start / end / peak", f"{record['rss_start_mb']} / {record['rss_end_mb']} / {record['rss_peak_mb']} MB")]
    if echo:
        per = echo["echo_period_samples"]
        rows += [("click echo: returns / period", f"{echo['echo_returns']} / {per} samples"
                  + (f" = {per / sr * 1000:.1f} ms measured input->output" if per else "")),
                 ("worker stalled 0.2 s: dry fallback blocks", echo["echo_fallback_blocks"]),
                 ("echo interval max deviation", f"{echo['echo_max_deviation_samples']} samples (0 = aligned)")]
    width = max(len(k) for k, _ in rows)
    for k, v in rows:
        print(f"{k:<{width}}  {v}")
    print(json.dumps({"benchmark": "live_enhance", **res}))
    return 0 if res["error"] is None else 1


def _echo_check(eng, model) -> dict:
    """A click circulating through loopback + live path; the worker stalls once in the middle.

    With ``listen='dry'`` the processed path is the input delayed by exactly the tap latency, so
    the click returns once per round trip. The one-off 0.2 s stall of the worker makes the engine
    play its dry fallback for a while and then switch back; if the two paths line up, every
    interval between returns is the same.
    """
    import tempfile
    import threading

    import numpy as np
    import soundfile as sf

    from desktop_gan.core.params import EnhanceParams
    from desktop_gan.workers.live_enhance import LiveEnhancer, model_factory

    sr = eng.config.samplerate
    silence = np.zeros((sr, 2), np.float32)
    eng.player.load(silence, sr)
    eng.player.set_loop(0, sr)
    eng.player.play()
    time.sleep(0.3)
    stall = threading.Event()

    def hook(_x, _y) -> None:
        if stall.is_set():
            stall.clear()
            time.sleep(0.2)

    click = np.zeros((sr // 2, 2), np.float32)
    click[100] = 0.5
    live = LiveEnhancer(eng, model_factory(model), params=EnhanceParams(listen="dry"), on_block=hook)
    live.start()
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "echo.wav"
        try:
            time.sleep(0.5)
            eng.start_recording(path)
            eng.player.load(click, sr)
            eng.player.play()
            time.sleep(0.5)
            before = eng.stats().monitor_underruns
            stall.set()
            time.sleep(1.2)
            fallbacks = eng.stats().monitor_underruns - before
            eng.stop_recording()
        finally:
            live.stop()
        x, _ = sf.read(path, dtype="float32", always_2d=True)
    hits = np.flatnonzero(np.abs(x[:, 0]) > 0.1)
    peaks = [int(hits[0])] + [int(b) for a, b in zip(hits[:-1], hits[1:]) if b - a > 50] if len(hits) else []
    gaps = np.diff(peaks)
    if len(gaps) < 3:
        return {"echo_returns": len(peaks), "echo_period_samples": None, "echo_max_deviation_samples": None,
                "echo_fallback_blocks": fallbacks}
    period = int(np.median(gaps))
    return {"echo_returns": len(peaks), "echo_period_samples": period,
            "echo_max_deviation_samples": int(np.max(np.abs(gaps - period))),
            "echo_fallback_blocks": int(fallbacks)}


if __name__ == "__main__":
    raise SystemExit(main())
