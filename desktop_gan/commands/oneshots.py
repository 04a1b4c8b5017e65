"""``desktop-gan oneshots``: K new drum one-shots of one kind from the drum GAN, as WAV files.

Files are ``<kind>_<seed>_<i>.wav`` at 48 kHz, peak -1 dBFS, silence trimmed; the same seed gives
the same files bit for bit.
"""

from __future__ import annotations

import argparse
import sys

from desktop_gan.commands.generate import KINDS, fail


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("oneshots", help="generate drum one-shots of one kind",
                              description=__doc__.splitlines()[0])
    p.add_argument("--kind", required=True, help=f"one of {', '.join(KINDS)}")
    p.add_argument("--count", type=int, default=8, help="how many (1-1000, default 8)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output folder (created if missing)")
    p.add_argument("--model", help=argparse.SUPPRESS)
    return p


def run(args) -> int:
    import os
    from pathlib import Path

    if args.kind not in KINDS:
        return fail(f"unknown kind {args.kind!r}; choose from {', '.join(KINDS)}")
    if not 1 <= args.count <= 1000:
        return fail(f"--count must be between 1 and 1000, got {args.count}")
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        return fail(f"{out} exists and is not a folder")
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return fail(f"cannot create {out}: {exc.strerror}")
    if not os.access(out, os.W_OK):
        return fail(f"folder {out} is not writable")

    import numpy as np
    import torch

    torch.set_num_threads(1)
    from desktop_gan.io.audiofile import AudioFileError, save_audio
    from desktop_gan.io.modelfile import ModelFileError
    from desktop_gan.models.drums import SR, generate, kind_index
    from desktop_gan.runtime.loops import PEAK, load_drums

    try:
        gen = load_drums(args.model)
    except ModelFileError as exc:
        print(f"desktop-gan: error: {exc}", file=sys.stderr)
        return 1
    rng = np.random.default_rng([args.seed, kind_index(args.kind)])
    written = 0
    for start in range(0, args.count, 16):
        n = min(16, args.count - start)
        z = torch.from_numpy(rng.standard_normal((n, gen.latent)).astype(np.float32))
        seeds = rng.integers(0, 2**31, n)
        y = generate(gen, z, torch.full((n,), kind_index(args.kind)), seeds).cpu().numpy()
        for i, x in enumerate(y):
            x = trim(x) * (PEAK / 0.9)
            try:
                save_audio(out / f"{args.kind}_{args.seed}_{start + i:03d}.wav", x, SR, overwrite=True)
            except AudioFileError as exc:
                return fail(str(exc))
            written += 1
    print(f"{written} {args.kind} one-shots -> {out}")
    return 0


def trim(x):
    """Cut the silent tail (below -60 dB of the peak) and fade the last 10 ms."""
    import numpy as np

    peak = float(np.max(np.abs(x))) or 1.0
    loud = np.nonzero(np.abs(x) > peak * 1e-3)[0]
    end = max(int(loud[-1]) + 1 if len(loud) else len(x), 2400)
    x = x[:end].copy()
    fade = min(480, len(x))
    x[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=x.dtype)
    return x
