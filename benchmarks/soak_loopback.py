"""Soak test of the audio engine through a real loopback: play + record for N seconds.

Starts a private PulseAudio server (null sink ``virt`` at 48 kHz, see tests/pulse.py), plays a looped
1 kHz sine through the engine's player into the sink and records the sink's monitor with the engine's
recorder. Reports PortAudio xruns, recorder ring overruns, gaps found in the recording (10 ms windows
whose peak drops below 90 % of the tone) and the process RSS at start and end. Prints a table and one
JSON line.

    python benchmarks/soak_loopback.py [--seconds 60] [--latency high|low|SECONDS]  # 600: the 10-min soak

Run it at normal priority: under `nice -n 10` on a busy 2-core machine the callbacks themselves get
starved and the xruns measure the scheduler, not the engine. ``cpu_percent`` is this process's CPU
time (callbacks, recorder thread, polling) over wall time.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

SR = 48000


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024.0
    return float("nan")


def count_gaps(path: Path, amplitude: float) -> tuple[int, float]:
    """10 ms windows (after the tone starts, before it stops) whose peak is below 90 % of the tone."""
    import numpy as np
    import soundfile as sf

    gaps = pending = windows = 0
    started = False
    with sf.SoundFile(path) as f:
        for block in f.blocks(blocksize=SR, dtype="float32", always_2d=True):
            x = block[:, 0]
            if not started:
                idx = np.flatnonzero(np.abs(x) > amplitude / 2)
                if not len(idx):
                    continue
                x = x[idx[0] + 480:]
                started = True
            n = len(x) // 480 * 480
            for low in np.abs(x[:n]).reshape(-1, 480).max(axis=1) < 0.9 * amplitude:
                if low:
                    pending += 1  # a gap only if the tone comes back after it (not the tail)
                else:
                    windows += 1 + pending
                    gaps, pending = gaps + pending, 0
    return gaps, windows * 480 / SR


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=60.0)
    ap.add_argument("--latency", default="high", help="'high', 'low' or seconds")
    args = ap.parse_args(argv)
    latency = args.latency if args.latency in ("high", "low") else float(args.latency)

    from pulse import PulseServer

    server = PulseServer().start()
    os.environ["PULSE_SERVER"] = server.server
    try:
        import numpy as np

        from desktop_gan.audio.engine import AudioEngine
        from desktop_gan.core.params import AudioConfig

        amplitude = 0.5
        eng = AudioEngine(AudioConfig(samplerate=SR, channels_in=1, channels_out=2, latency=latency))
        eng.start()
        while eng.meter() is None:
            time.sleep(0.05)
        t = np.arange(SR) / SR  # 1 s holds exactly 1000 cycles: the loop is periodic
        eng.player.load((amplitude * np.sin(2 * np.pi * 1000 * t)).astype(np.float32), SR)
        eng.player.set_loop(0, SR)
        rss_start = rss_mb()
        cpu0, wall0 = time.process_time(), time.monotonic()
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "soak.wav"
            eng.start_recording(path)
            eng.player.play()
            t0 = time.monotonic()
            next_report = 10.0
            while (elapsed := time.monotonic() - t0) < args.seconds:
                time.sleep(0.2)
                eng.meter()  # a UI polls the meter like this
                if elapsed >= next_report:
                    st = eng.stats()
                    print(f"  {elapsed:6.0f} s  underruns {st.underruns}  overruns {st.overruns}  "
                          f"rss {rss_mb():.1f} MB", flush=True)
                    next_report += 10.0
            eng.player.pause()
            time.sleep(0.3)
            stats = eng.stats()
            eng.stop_recording()
            rss_end = rss_mb()
            cpu_pct = 100.0 * (time.process_time() - cpu0) / (time.monotonic() - wall0)
            frames = eng.recorded_frames
            eng.stop()
            gaps, checked = count_gaps(path, amplitude)
    finally:
        server.stop()

    result = {
        "benchmark": "soak_loopback", "seconds": args.seconds, "latency": args.latency,
        "input_latency_s": round(stats.input_latency_s, 4), "output_latency_s": round(stats.output_latency_s, 4),
        "underruns": stats.underruns, "overruns": stats.overruns, "error": stats.error,
        "recorded_s": round(frames / SR, 2), "checked_s": round(checked, 2), "gaps_10ms": gaps,
        "rss_start_mb": round(rss_start, 1), "rss_end_mb": round(rss_end, 1), "cpu_percent": round(cpu_pct, 1),
        "machine": f"{platform.machine()} {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    print()
    print(f"{'metric':<18}{'value':>14}")
    for key in ("seconds", "latency", "input_latency_s", "output_latency_s", "underruns", "overruns",
                "recorded_s", "checked_s", "gaps_10ms", "rss_start_mb", "rss_end_mb", "cpu_percent", "error"):
        print(f"{key:<18}{str(result[key]):>14}")
    print(json.dumps(result))
    ok = stats.error is None and gaps == 0 and stats.underruns == 0 and stats.overruns == 0
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
