"""``desktop-gan bench``: how fast the shipped models run on this machine.

A quick check a user can run before relying on live enhancement or loop sketching:

* enhancer: its algorithmic latency, and the real-time factor (processing time / audio time) of the
  streaming path fed 10 ms blocks like an audio callback, per sample rate and channel count, on one
  thread; the worst single block against the block's own duration (the live budget is RTF <= 0.05);
* loops: a whole new loop (8 drum sounds + a pattern, rendered 4 bars at 120 BPM), regenerating one
  lane, and 8 one-shots, medians over a few runs, on the device the inference worker would use.

Prints a table and, last, one JSON line (``--json FILE`` also writes it). The numbers are for this
machine at this moment; the benchmarks in the repository's ``benchmarks/`` folder go further.
"""

from __future__ import annotations

import argparse
import sys

CASES = ((48000, 1), (48000, 2), (44100, 1), (16000, 1))


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("bench", help="measure model speed on this machine",
                              description=__doc__.splitlines()[0])
    p.add_argument("--seconds", type=float, default=5.0, help="audio per enhancer case (default 5)")
    p.add_argument("--runs", type=int, default=5, help="loop timings: runs per figure (default 5)")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto",
                   help="device for the loop models (default: CUDA when present)")
    p.add_argument("--skip", choices=["enhancer", "loops"], action="append", default=[],
                   help="leave a part out (repeatable)")
    p.add_argument("--enhancer-model", help="enhancer model file (default: the shipped one)")
    p.add_argument("--json", metavar="FILE", help="also write the JSON result to FILE")
    return p


def fail(msg: str) -> int:
    print(f"desktop-gan: error: {msg}", file=sys.stderr)
    return 2


def bench_enhancer(model_path, seconds: float) -> dict:
    """Latency and per-block cost of the streaming enhancer, one thread."""
    import time

    import numpy as np

    from desktop_gan.core.params import EnhanceParams
    from desktop_gan.runtime.enhancer import StreamingEnhancer

    t0 = time.perf_counter()
    first = StreamingEnhancer(model_path)
    load_ms = 1000 * (time.perf_counter() - t0)
    rows = []
    for rate, channels in CASES:
        enh = StreamingEnhancer(model_path, rate, channels, params=EnhanceParams(strength_db=30))
        n = int(seconds * rate)
        rng = np.random.default_rng(0)
        t = np.arange(n) / rate
        voice = 0.1 * np.sin(2 * np.pi * 150 * t) * (np.sin(2 * np.pi * 3 * t) > 0)
        x = np.repeat((voice + 0.03 * rng.standard_normal(n))[:, None], channels, axis=1).astype(np.float32)
        block = rate // 100
        enh.process(x[:block])  # warm-up
        worst, start = 0.0, time.perf_counter()
        for i in range(0, n, block):
            b0 = time.perf_counter()
            enh.process(x[i:i + block])
            worst = max(worst, time.perf_counter() - b0)
        rtf = (time.perf_counter() - start) / seconds
        rows.append({"rate": rate, "channels": channels, "rtf": round(rtf, 4),
                     "worst_block_rtf": round(worst / (block / rate), 3),
                     "latency_ms": round(enh.latency_seconds * 1000, 2)})
    return {"load_ms": round(load_ms, 1), "params": int(first.model.params),
            "latency_samples_48k": int(first.latency_samples), "cases": rows}


def bench_loops(device_name: str, runs: int) -> dict:
    """Median times of a new loop, one lane and 8 one-shots."""
    import time

    import numpy as np
    import torch

    from desktop_gan.core.params import LoopParams
    from desktop_gan.models.drums import generate
    from desktop_gan.runtime.loops import LoopSketch, load_drums, load_patterns

    if device_name == "auto":
        device_name = "cuda" if torch.cuda.is_available() else "cpu"
    if device_name == "cuda" and not torch.cuda.is_available():
        raise RuntimeError("--device cuda: this torch build sees no CUDA device")
    device = torch.device(device_name)
    drums, patterns = load_drums().to(device), load_patterns().to(device)
    sketch = LoopSketch(drums, patterns, LoopParams(bpm=120, bars=4, samplerate=48000, seed=0))
    sketch.render()  # warm-up
    new, lane, shots = [], [], []
    for i in range(runs):
        t0 = time.perf_counter()
        sketch.new(1000 + i)
        sketch.render()
        new.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sketch.regenerate_sound("snare", seed=i)
        sketch.render()
        lane.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        z = torch.randn(8, drums.latent, device=device)
        generate(drums, z, torch.arange(8, device=device), range(8))
        if device.type == "cuda":
            torch.cuda.synchronize()
        shots.append(time.perf_counter() - t0)
    return {"device": device.type, "new_loop_ms": round(1000 * float(np.median(new)), 1),
            "lane_regen_ms": round(1000 * float(np.median(lane)), 1),
            "oneshots8_ms": round(1000 * float(np.median(shots)), 1)}


def machine() -> dict:
    import os
    import platform

    return {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
            "python": platform.python_version(), "load": [round(v, 2) for v in os.getloadavg()]}


def run(args) -> int:
    import json
    from pathlib import Path

    if not 0.5 <= args.seconds <= 600:
        return fail(f"--seconds must be between 0.5 and 600, got {args.seconds}")
    if not 1 <= args.runs <= 100:
        return fail(f"--runs must be between 1 and 100, got {args.runs}")
    if args.enhancer_model and not Path(args.enhancer_model).is_file():
        return fail(f"cannot read model {args.enhancer_model}: no such file")
    if args.json and not Path(args.json).resolve().parent.is_dir():
        return fail(f"cannot write {args.json}: its folder does not exist")

    import torch

    torch.set_num_threads(1)  # as the inference worker runs on CPU
    from desktop_gan.io.modelfile import ModelFileError

    result = {"benchmark": "desktop-gan bench", "machine": machine(), "torch": torch.__version__,
              "cuda": torch.cuda.get_device_name(0) if torch.cuda.is_available() else None}
    try:
        if "enhancer" not in args.skip:
            result["enhancer"] = bench_enhancer(args.enhancer_model, args.seconds)
        if "loops" not in args.skip:
            result["loops"] = bench_loops(args.device, args.runs)
    except (ModelFileError, RuntimeError) as exc:
        return fail(str(exc))

    if "enhancer" in result:
        e = result["enhancer"]
        print(f"enhancer: {e['params']:,} parameters, latency {e['latency_samples_48k']} samples, "
              f"loaded in {e['load_ms']:.0f} ms")
        print(f"{'rate':>7} {'ch':>3} {'RTF':>7} {'worst block':>12} {'latency':>9}  (live budget RTF 0.05)")
        for r in e["cases"]:
            print(f"{r['rate']:>7} {r['channels']:>3} {r['rtf']:>7.3f} {r['worst_block_rtf']:>11.2f}x "
                  f"{r['latency_ms']:>6.1f} ms")
    if "loops" in result:
        lp = result["loops"]
        print(f"loops on {lp['device']}: new loop {lp['new_loop_ms']:.0f} ms, one lane "
              f"{lp['lane_regen_ms']:.0f} ms, 8 one-shots {lp['oneshots8_ms']:.0f} ms")
    line = json.dumps(result)
    print(line)
    if args.json:
        try:
            Path(args.json).write_text(line + "\n")
        except OSError as exc:
            return fail(f"cannot write {args.json}: {exc.strerror}")
    return 0
