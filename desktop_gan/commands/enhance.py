"""``desktop-gan enhance IN OUT``: remove noise from a speech recording into a new file.

OUT gets IN's sample rate, channel count and exact length (the model's latency is compensated).
Errors (unreadable input, OUT equal to IN, a broken model file) print one line on stderr, exit with
code 2 and write nothing.
"""

from __future__ import annotations

import argparse
import sys

from desktop_gan.core.params import EnhanceParams


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("enhance", help="enhance speech in an audio file (noise removal)",
                              description=__doc__.splitlines()[0])
    p.add_argument("input", metavar="IN", help="audio file to read (wav, flac, ogg, mp3, ...)")
    p.add_argument("output", metavar="OUT", help="file to write (.wav or .flac)")
    strength = EnhanceParams().strength_db
    p.add_argument("--strength", type=float, default=strength, metavar="DB",
                   help=f"attenuation limit in dB: how far noise may be pulled down (default {strength:g})")
    p.add_argument("--mix", type=float, default=1.0, metavar="X", help="dry/wet, 0..1 (default 1 = fully enhanced)")
    p.add_argument("--model", default=None, metavar="PATH", help="enhancer model (.safetensors); default: the shipped one")
    p.add_argument("--stereo", choices=("mid", "per-channel"), default="mid",
                   help="stereo: one gain for both channels from the mid signal, or each channel alone")
    p.add_argument("--residue", action="store_true", help="write what was removed instead of the result")
    p.add_argument("--overwrite", action="store_true", help="replace OUT if it exists (never IN)")
    return p


def _fail(message: str) -> int:
    print(f"desktop-gan enhance: {message}", file=sys.stderr)
    return 2


def run(args) -> int:
    from pathlib import Path

    import numpy as np

    from desktop_gan.io.audiofile import AudioFileError, load_audio, save_audio
    from desktop_gan.io.modelfile import ModelFileError
    from desktop_gan.runtime.enhancer import StreamingEnhancer

    src, dst = Path(args.input), Path(args.output)
    if dst.resolve() == src.resolve() or (dst.exists() and src.exists() and dst.samefile(src)):
        return _fail(f"{dst.name}: OUT is the input file; choose a new name")
    if dst.suffix.lower() not in (".wav", ".flac"):
        return _fail(f"{dst.name}: can only write .wav or .flac")
    if dst.exists() and not args.overwrite:
        return _fail(f"{dst.name}: already exists (use --overwrite)")
    try:
        params = EnhanceParams(strength_db=args.strength, mix=args.mix,
                               listen="residue" if args.residue else "enhanced")
    except ValueError as exc:
        return _fail(str(exc))
    try:
        audio = load_audio(src)
        model = args.model
        try:
            enh = StreamingEnhancer(model, audio.samplerate, audio.channels, args.stereo, params)
            out = enh.process_offline(audio.data, block=48000)
        except ValueError:  # a rate with no whole-sample streaming latency: resample the file instead
            import soxr

            enh = StreamingEnhancer(model, 48000, audio.channels, args.stereo, params)
            x48 = soxr.resample(audio.data, audio.samplerate, 48000, quality="VHQ")
            out = soxr.resample(enh.process_offline(x48, block=48000), 48000, audio.samplerate, quality="VHQ")
            out = np.pad(out, ((0, max(0, audio.frames - len(out))), (0, 0)))[: audio.frames]
        save_audio(dst, np.clip(out, -1.0, 1.0), audio.samplerate, source=src, overwrite=args.overwrite)
    except (AudioFileError, ModelFileError) as exc:
        return _fail(str(exc))
    except MemoryError:
        return _fail(f"{src.name}: too large to process in memory")
    print(f"{dst}: {audio.frames / audio.samplerate:.2f} s, {audio.samplerate} Hz, {audio.channels} ch "
          f"(latency {enh.latency_seconds * 1000:.1f} ms compensated)")
    return 0
