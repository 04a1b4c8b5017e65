"""Speed of the live speech enhancer: latency, real-time factor per stream on ONE thread, size.

Runs the StreamingEnhancer block by block (10 ms blocks, as an audio callback would feed it) over
10 s of noisy speech-like audio at several rates and channel layouts; RTF = processing time / audio
duration (budget: 0.05 at 48 kHz mono). Prints a table and one JSON line.

The last two rows run 48 and 44.1 kHz mono *paced*: each block waits for its real-time arrival, so
the thread idles between blocks as the live worker does, and its CPU time is counted. On a virtual
machine the first work after an idle gap runs several times slower (caches and TLBs refilled, the
vCPU woken); the ratio paced / back-to-back says how much of the live worker's RTF is that, not the
model.

    python benchmarks/enhance_speed.py [--model PATH] [--seconds 10]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from pathlib import Path

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(var, "1")

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))


def main(argv: list[str] | None = None) -> int:
    import numpy as np

    from desktop_gan.core.params import EnhanceParams
    from desktop_gan.runtime.enhancer import StreamingEnhancer, default_model_path

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default=str(default_model_path()))
    ap.add_argument("--seconds", type=float, default=10.0)
    args = ap.parse_args(argv)
    cases = [(48000, 1, "mid"), (48000, 2, "mid"), (48000, 2, "per-channel"), (44100, 1, "mid"),
             (16000, 1, "mid"), (96000, 1, "mid")]
    rows = []
    for rate, ch, stereo in cases:
        enh = StreamingEnhancer(args.model, rate, ch, stereo, EnhanceParams(strength_db=30))
        n = int(args.seconds * rate)
        rng = np.random.default_rng(0)
        t = np.arange(n) / rate
        x = (0.1 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 3 * t) > 0) + 0.03 * rng.standard_normal(n))
        x = np.repeat(x[:, None], ch, axis=1).astype(np.float32)
        block = rate // 100
        enh.process(x[:block])  # warm up
        worst, start = 0.0, time.perf_counter()
        for i in range(0, n, block):
            t0 = time.perf_counter()
            enh.process(x[i:i + block])
            worst = max(worst, time.perf_counter() - t0)
        rtf = (time.perf_counter() - start) / args.seconds
        rows.append({"rate": rate, "channels": ch, "stereo": stereo, "rtf": round(rtf, 4),
                     "worst_block_ms": round(worst * 1000, 2), "latency_ms": round(enh.latency_seconds * 1000, 2),
                     "latency_samples": enh.latency_samples})
    for rate in (48000, 44100):
        rows.append(paced(StreamingEnhancer(args.model, rate, 1, "mid", EnhanceParams(strength_db=30)),
                          min(args.seconds, 5.0)))
    model = Path(args.model)
    size = model.stat().st_size + model.with_suffix(".json").stat().st_size
    params = StreamingEnhancer(args.model).model.params
    print(f"{'rate':>6} {'ch':>3} {'stereo':>12} {'RTF':>7} {'worst 10ms block':>17} {'latency':>12}")
    for r in rows:
        print(f"{r['rate']:>6} {r['channels']:>3} {r['stereo'] + (' paced' if r.get('paced') else ''):>12} {r['rtf']:>7.4f} {r['worst_block_ms']:>14.2f} ms"
              f" {r['latency_ms']:>9.2f} ms")
    print(f"params {params:,}  model file {size / 1e6:.2f} MB  (one thread, {platform.processor() or platform.machine()})")
    print(json.dumps({"benchmark": "enhance_speed", "params": params, "model_bytes": size, "threads": 1,
                      "block_ms": 10, "seconds": args.seconds, "results": rows}))
    return 0


def paced(enh, seconds: float) -> dict:
    """Mono in 10 ms blocks, each at its real-time arrival; RTF from this thread's CPU time."""
    import numpy as np

    rate = enh.samplerate
    block = rate // 100
    x = (0.03 * np.random.default_rng(1).standard_normal(int(seconds * rate))).astype(np.float32)
    enh.process(x[:block])
    cpu, worst, start = 0.0, 0.0, time.perf_counter()
    for i in range(0, len(x), block):
        time.sleep(max(0.0, start + i / rate - time.perf_counter()))
        c0 = time.thread_time()
        enh.process(x[i:i + block])
        c = time.thread_time() - c0
        cpu, worst = cpu + c, max(worst, c)
    return {"rate": rate, "channels": 1, "stereo": "mid", "paced": True, "rtf": round(cpu / seconds, 4),
            "worst_block_ms": round(worst * 1000, 2), "latency_ms": round(enh.latency_seconds * 1000, 2),
            "latency_samples": enh.latency_samples}


if __name__ == "__main__":
    raise SystemExit(main())
