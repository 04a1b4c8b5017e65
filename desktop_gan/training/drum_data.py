"""Seeded renderer of drum one-shots from the drum kits in the local soundfonts.

Sources (all Debian packages, all free licences):

* ``fluid-soundfont-gm`` (FluidR3_GM.sf2) and ``musescore-general-soundfont``
  (MuseScore_General_Full.sf3): every GM drum kit (bank 128: Standard, Room, Power, Electronic,
  TR-808, Jazz, Brush, Orchestra and their variants) -> the TRAINING set ``data/drums/<kind>/``.
* ``avldrums.lv2-soundfont`` (Black_Pearl_4_LV2.sf2, Red_Zeppelin_4_LV2.sf2): two multi-sampled
  recorded acoustic kits -> HELD OUT, never trained on, ``data/drums_heldout/<kind>/`` (the
  evaluation's "real" reference; they have no clap, so clap is evaluated against training kits only).

How: for each kit one MIDI file (written by ``runtime.midi_export``) plays every GM note of every
drum kind at several velocities, 3 s apart; one ``fluidsynth -ni`` call renders it at 48 kHz with
reverb and chorus off; the render is cut into one-shots (onset-trimmed, 2 ms pre-roll, at most
1.5 s, silent tail cut, 20 ms fade), duplicates (identical samples shared by kit variants) dropped.
Each training one-shot also gets ``variants`` copies through ``sox``: a pitch shift of up to
+-300 cents and one effect from low-pass, high-pass, overdrive, compand or a short room, drawn
from a ``numpy`` generator seeded by ``seed`` and the file's name, so a run is reproducible.

CLI: ``python -m desktop_gan.training.drum_data --out data [--variants 2] [--seed 0]``.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import shutil
import subprocess
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_gan.core.params import DRUM_KINDS
from desktop_gan.io.audiofile import load_audio, save_audio
from desktop_gan.runtime.midi_export import note_off, note_on, write_midi

SR = 48000
MAX_SECONDS = 1.5
SPACING_S = 3.0
VELOCITIES = (45, 85, 120)
HELDOUT_VELOCITIES = (30, 45, 60, 75, 90, 105, 120, 127)  # recorded kits: more velocity layers

# GM percussion notes per kind (channel 10 numbering).
KIND_NOTES = {
    "kick": (35, 36),
    "snare": (38, 40),
    "clap": (39,),
    "closed-hat": (42, 44),
    "open-hat": (46,),
    "tom": (41, 43, 45, 47, 48, 50),
    "rim": (37,),
    "cymbal": (49, 51, 52, 55, 57, 59),
}

SF_DIRS = ("/usr/share/sounds/sf2", "/usr/share/sounds/sf3", "/usr/lib/lv2/avldrums.lv2")
HELDOUT_FILES = ("Black_Pearl_4_LV2.sf2", "Red_Zeppelin_4_LV2.sf2")
TRAIN_FILES = ("FluidR3_GM.sf2", "MuseScore_General_Full.sf3")


@dataclass(frozen=True)
class Kit:
    soundfont: Path
    bank: int
    program: int
    name: str
    heldout: bool

    @property
    def slug(self) -> str:
        base = self.soundfont.stem.split("_")[0].lower()
        return f"{base}-{self.name.lower().replace(' ', '').replace('-', '')}-{self.program}"


def read_presets(path: Path) -> list[tuple[int, int, str]]:
    """(bank, program, name) of every preset in an SF2/SF3 file (reads the RIFF 'phdr' chunk)."""
    with open(path, "rb") as fh:
        if fh.read(4) != b"RIFF":
            raise ValueError(f"{path.name}: not a RIFF soundfont")
        fh.read(8)
        while True:
            head = fh.read(8)
            if len(head) < 8:
                return []
            cid, size = head[:4], int.from_bytes(head[4:], "little")
            if cid == b"LIST":
                if fh.read(4) == b"pdta":
                    end = fh.tell() + size - 4
                    while fh.tell() < end:
                        h = fh.read(8)
                        sid, sz = h[:4], int.from_bytes(h[4:], "little")
                        if sid == b"phdr":
                            raw = fh.read(sz)
                            out = []
                            for i in range(0, sz - 38, 38):  # last record is the terminal one
                                name = raw[i:i + 20].split(b"\0")[0].decode("latin1").strip()
                                prog = int.from_bytes(raw[i + 20:i + 22], "little")
                                bank = int.from_bytes(raw[i + 22:i + 24], "little")
                                out.append((bank, prog, name))
                            return out
                        fh.seek(sz + (sz & 1), 1)
                else:
                    fh.seek(size - 4 + (size & 1), 1)
            else:
                fh.seek(size + (size & 1), 1)


def find_kits(dirs=SF_DIRS) -> list[Kit]:
    """Every drum kit in the local soundfonts (GM bank 128 < 50, and the AVL kits), sorted."""
    kits: dict[tuple[str, int, int], Kit] = {}
    seen_files = set()
    for d in dirs:
        for sf in sorted(Path(d).glob("*.sf[23]")) if Path(d).is_dir() else []:
            real = sf.resolve()
            if real.name in seen_files or real.name not in TRAIN_FILES + HELDOUT_FILES:
                continue
            seen_files.add(real.name)
            heldout = real.name in HELDOUT_FILES
            for bank, prog, name in read_presets(real):
                if heldout or (bank == 128 and prog < 50):
                    kits[(real.name, bank, prog)] = Kit(real, bank, prog, name, heldout)
    return [kits[k] for k in sorted(kits)]


def _kit_midi(kit: Kit, path: Path) -> list[tuple[str, int, int]]:
    """MIDI playing every note/velocity of the kit; returns (kind, note, velocity) per slot."""
    ppq, bpm = 480, 120.0
    ticks_per_s = ppq * bpm / 60.0
    channel = 0 if kit.bank != 128 else 9
    events = [(0, bytes((0xB0 | channel, 0, min(kit.bank, 127)))), (0, bytes((0xC0 | channel, kit.program)))]
    slots = []
    for kind in DRUM_KINDS:
        for note in KIND_NOTES[kind]:
            for vel in HELDOUT_VELOCITIES if kit.heldout else VELOCITIES:
                t = int(round((len(slots) + 0.5) * SPACING_S * ticks_per_s))
                events.append((t, note_on(channel, note, vel)))
                events.append((t + int(1.4 * ticks_per_s), note_off(channel, note)))
                slots.append((kind, note, vel))
    end = int(round((len(slots) + 0.5) * SPACING_S * ticks_per_s))
    write_midi(path, events, ppq, bpm, end_tick=end)
    return slots


def _cut(render: np.ndarray, start: int) -> np.ndarray | None:
    seg = render[max(0, start - SR // 100): start + int(SPACING_S * SR) - SR // 100]
    if seg.size == 0:
        return None
    peak = float(np.max(np.abs(seg)))
    if peak < 2e-3:
        return None  # the kit has no sound on this note
    onset = int(np.argmax(np.abs(seg) > 0.05 * peak))
    seg = seg[max(0, onset - SR // 500): max(0, onset - SR // 500) + int(MAX_SECONDS * SR)].copy()
    env = np.abs(seg)
    loud = np.nonzero(env > peak * 1e-3)[0]
    seg = seg[: max(int(loud[-1]) + 1, SR // 20)]
    fade = min(len(seg), SR // 50)
    seg[-fade:] *= np.linspace(1.0, 0.0, fade, dtype=np.float32)
    return seg.astype(np.float32)


def render_kit(kit: Kit, workdir: Path) -> list[tuple[str, int, int, np.ndarray]]:
    """Render one kit with fluidsynth; returns (kind, note, velocity, audio) one-shots."""
    mid, wav = workdir / f"{kit.slug}.mid", workdir / f"{kit.slug}.wav"
    slots = _kit_midi(kit, mid)
    cmd = ["fluidsynth", "-ni", "-q", "-R", "0", "-C", "0", "-g", "0.5", "-r", str(SR),
           "-F", str(wav), str(kit.soundfont), str(mid)]
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, timeout=600)
    loaded = load_audio(wav)
    audio, sr = loaded.data.mean(axis=1), loaded.samplerate
    out = []
    for i, (kind, note, vel) in enumerate(slots):
        seg = _cut(audio, int(round((i + 0.5) * SPACING_S * sr)))
        if seg is not None:
            out.append((kind, note, vel, seg))
    wav.unlink(missing_ok=True)
    mid.unlink(missing_ok=True)
    return out


def sox_variant(audio: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Pitch shift (+-300 cents) and one effect through sox; the draw comes from ``rng``."""
    cents = int(rng.integers(-300, 301))
    effect = [
        [],
        ["lowpass", str(int(rng.integers(2500, 9000)))],
        ["highpass", str(int(rng.integers(60, 600)))],
        ["overdrive", str(int(rng.integers(4, 15)))],
        ["compand", "0.002,0.1", "-60,-60,-30,-15,0,-6", "0", "-90", "0.01"],
        ["reverb", str(int(rng.integers(10, 35))), "50", str(int(rng.integers(5, 30)))],
    ][int(rng.integers(0, 6))]
    cmd = ["sox", "-q", "-t", "f32", "-r", str(SR), "-c", "1", "-", "-t", "f32", "-",
           "pitch", str(cents), *effect, "rate", str(SR)]
    res = subprocess.run(cmd, input=np.ascontiguousarray(audio, dtype="<f4").tobytes(),
                         capture_output=True, check=True, timeout=60)
    y = np.frombuffer(res.stdout, dtype="<f4").astype(np.float32)[: int(MAX_SECONDS * SR)]
    peak = float(np.max(np.abs(y))) if y.size else 0.0
    if peak > 0.99:
        y = y * (0.99 / peak)
    return y


def build(out: Path, variants: int = 2, seed: int = 0, kits: list[Kit] | None = None,
          log=print) -> dict:
    """Render every kit into ``out/drums`` (training) and ``out/drums_heldout`` (held-out kits)."""
    if shutil.which("fluidsynth") is None or shutil.which("sox") is None:
        raise RuntimeError("fluidsynth and sox are needed to render drum data")
    kits = find_kits() if kits is None else kits
    if not kits:
        raise RuntimeError("no drum kits found in the local soundfonts")
    counts: dict[str, dict[str, int]] = {"train": {}, "heldout": {}}
    seen: set[str] = set()
    with tempfile.TemporaryDirectory(prefix="drums-") as tmp:
        for kit in kits:
            split = "heldout" if kit.heldout else "train"
            root = out / ("drums_heldout" if kit.heldout else "drums")
            shots = render_kit(kit, Path(tmp))
            for kind, note, vel, audio in shots:
                if kit.heldout and kind == "clap":
                    continue  # the AVL kits have no hand clap; note 39 plays a snare layer
                digest = hashlib.sha1(np.round(audio[:8192] * 2000).astype(np.int16).tobytes()).hexdigest()
                if digest in seen:
                    continue
                seen.add(digest)
                (root / kind).mkdir(parents=True, exist_ok=True)
                name = f"{kit.slug}_n{note}_v{vel}"
                save_audio(root / kind / f"{name}.wav", audio, SR, overwrite=True, subtype="PCM_16")
                counts[split][kind] = counts[split].get(kind, 0) + 1
                if kit.heldout:
                    continue
                rng = np.random.default_rng([seed, zlib.crc32(name.encode())])
                for k in range(variants):
                    save_audio(root / kind / f"{name}_a{k}.wav", sox_variant(audio, rng), SR,
                               overwrite=True, subtype="PCM_16")
                    counts[split][kind] += 1
            log(f"{kit.slug}: {len(shots)} one-shots ({split})")
    manifest = {"samplerate": SR, "seed": seed, "variants": variants, "counts": counts,
                "kits": [{"soundfont": k.soundfont.name, "bank": k.bank, "program": k.program,
                          "name": k.name, "heldout": k.heldout} for k in kits]}
    (out / "drums").mkdir(parents=True, exist_ok=True)
    (out / "drums" / "manifest.json").write_text(json.dumps(manifest, indent=1))
    return manifest


def list_files(root: Path) -> dict[str, list[Path]]:
    """The one-shot files under ``root/<kind>/*.wav`` by kind (sorted, so order is stable)."""
    return {kind: sorted((root / kind).glob("*.wav")) for kind in DRUM_KINDS}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=Path("data"))
    ap.add_argument("--variants", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args(argv)
    manifest = build(args.out, args.variants, args.seed)
    print(json.dumps(manifest["counts"]))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
