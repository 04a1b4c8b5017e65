"""``desktop-gan generate``: a new drum loop (WAV), optionally its stems and its MIDI.

The loop is exactly ``bars * 4 * 60 / BPM`` seconds (rounded to the nearest sample) and repeats
seamlessly; the same seed and settings give the same file bit for bit.
"""

from __future__ import annotations

import argparse
import sys

KINDS = ("kick", "snare", "clap", "closed-hat", "open-hat", "tom", "rim", "cymbal")
STYLES = ("house", "rock", "boom-bap", "breakbeat", "trap", "latin")


def add_parser(subparsers) -> argparse.ArgumentParser:
    p = subparsers.add_parser("generate", help="generate a tempo-exact drum loop",
                              description=__doc__.splitlines()[0])
    p.add_argument("--bpm", type=float, required=True, help="tempo, 60-200")
    p.add_argument("--bars", type=int, default=4, help="1, 2, 4 or 8 bars of 4/4 (default 4)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", required=True, help="output .wav (or .flac)")
    p.add_argument("--sr", type=int, default=48000, help="44100 or 48000 (default 48000)")
    p.add_argument("--swing", type=float, default=0.0, help="0-0.75 of a 16th on off-beat 16ths")
    p.add_argument("--style", default="house", help=f"one of {', '.join(STYLES)}")
    p.add_argument("--stems", metavar="DIR", help="also write one WAV per part into DIR")
    p.add_argument("--midi", metavar="FILE", help="also write the pattern as a GM drum MIDI file")
    p.add_argument("--drums-model", help=argparse.SUPPRESS)
    p.add_argument("--patterns-model", help=argparse.SUPPRESS)
    return p


def fail(msg: str) -> int:
    print(f"desktop-gan: error: {msg}", file=sys.stderr)
    return 2


def writable_file(path: str) -> str | None:
    """None when ``path`` can be created, else why not (checked before any work is done)."""
    import os
    from pathlib import Path

    p = Path(path)
    parent = p.parent if str(p.parent) else Path(".")
    if p.is_dir():
        return f"{path} is a folder"
    if not parent.is_dir():
        return f"cannot write {path}: folder {parent} does not exist"
    if not os.access(parent, os.W_OK):
        return f"cannot write {path}: folder {parent} is not writable"
    return None


def run(args) -> int:
    import os
    from pathlib import Path

    from desktop_gan.core.params import LoopParams

    try:
        params = LoopParams(bpm=args.bpm, bars=args.bars, swing=args.swing, samplerate=args.sr,
                            style=args.style, seed=args.seed)
    except ValueError as exc:
        return fail(str(exc))
    for path in [args.out] + ([args.midi] if args.midi else []):
        why = writable_file(path)
        if why:
            return fail(why)
    if Path(args.out).suffix.lower() not in (".wav", ".flac"):
        return fail(f"--out must end in .wav or .flac, got {args.out}")
    if args.stems:
        stems_dir = Path(args.stems)
        try:
            stems_dir.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            return fail(f"cannot create stems folder {stems_dir}: {exc.strerror}")
        if not os.access(stems_dir, os.W_OK):
            return fail(f"stems folder {stems_dir} is not writable")

    import torch

    torch.set_num_threads(1)
    from desktop_gan.io.audiofile import AudioFileError, save_audio
    from desktop_gan.io.modelfile import ModelFileError
    from desktop_gan.runtime.loops import LoopSketch
    from desktop_gan.runtime.midi_export import pattern_to_midi

    try:
        sketch = LoopSketch.from_models(params, args.drums_model, args.patterns_model)
    except ModelFileError as exc:
        print(f"desktop-gan: error: {exc}", file=sys.stderr)
        return 1
    mix, stems = sketch.render()
    try:
        wav_float = "FLOAT" if Path(args.out).suffix.lower() == ".wav" else None  # stems sum to it exactly
        save_audio(args.out, mix, params.samplerate, overwrite=True, subtype=wav_float)
        if args.stems:
            for lane, stem in zip(sketch.lanes, stems):
                save_audio(Path(args.stems) / f"{lane.kind}.wav", stem, params.samplerate, overwrite=True,
                           subtype="FLOAT")
        if args.midi:
            vel, off = sketch.pattern()
            pattern_to_midi(vel, off, params, args.midi, muted=[not a for a in sketch.active()])
    except (AudioFileError, OSError) as exc:
        return fail(str(exc))
    print(f"{args.out}: {params.bars} bars at {params.bpm:g} BPM, {len(mix)} samples "
          f"({len(mix) / params.samplerate:.3f} s), style {params.style}, seed {params.seed}")
    return 0
