"""The enhancer's HELD-OUT evaluation set: seeded noisy/clean pairs that training never sees.

What is held out (``speech_data.HELD_OUT`` keeps them out of training):

* voices: flite ``slt`` and ``rms``; festival ``voice_kdl_diphone`` (Debian's ``festvox-kdlpc16k``
  ships it as ``voice_ked_diphone``, used in its place) and ``voice_cmu_us_slt_arctic_hts``;
  espeak-ng variants ``+f4`` and ``+m6``;
* text: the fixed ``SENTENCES`` below, written for this set (training draws random word strings);
* music: note sequences made here, rendered with the MuseScore General soundfont (training uses
  FluidR3_GM);
* rooms: pyroomacoustics shoeboxes from this module's own seeds.

Noise kinds: babble (held-out voices only), pink, brown, hum, fan, keyboard, music and reverb (a
room plus stationary noise; the reference is the dry speech). SNRs are stratified over -5..15 dB
per kind. Speech gets the same seeded full-band exciter as training speech (TTS stops at 8-16 kHz),
with this set's own seeds. Besides the noisy clips there are clean-speech-only clips (one per
voice: how much clean speech a system keeps) and one clean music clip (does it keep music?).

A DEVELOPMENT twin (``profile="dev"``, under ``data/dev``) is built the same way (same clip layout,
noise kinds, SNR schedule and levels) from *training* voices, training-style random text, the
training soundfont and its own seed. It is for choosing settings and checkpoints: the training
validation split (1 s speech-filled crops, early-reverb targets) does not rank systems the way
this clip layout does, and choosing on the held-out set would tune to it.

``ensure(out, clips, seconds, seed)`` reuses ``out/manifest.json`` when it matches, else writes
``out/clips/*.wav`` (48 kHz float WAV) and the manifest. Run:
``python -m desktop_gan.training.eval_data --out data/eval --clips 48``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from desktop_gan.io.audiofile import load_audio, save_audio
from desktop_gan.training import speech_data as sd

SR = 48000
VERSION = 1
DEFAULT_OUT = Path("data/eval")
DEFAULT_SEED = 20261124  # training uses small seeds (0, 1, ...) with other salts
NOISE_KINDS = ("babble", "pink", "brown", "hum", "fan", "keyboard", "music", "reverb")
VOICES = (("flite", "slt"), ("flite", "rms"), ("festival", "voice_kdl_diphone"),
          ("festival", "voice_cmu_us_slt_arctic_hts"), ("espeak", "en-us+f4"), ("espeak", "en+m6"))
FESTIVAL_STANDINS = {"voice_kdl_diphone": "voice_ked_diphone"}
SOUNDFONTS = ("/usr/share/sounds/sf3/MuseScore_General.sf3", "/usr/share/sounds/sf3/MuseScore_General_Full.sf3",
              "/usr/share/sounds/sf2/MuseScore_General.sf2")
# The dev profile: natural-sounding training voices first (where the gap to other systems is), a few
# espeak-ng variants; its music uses the training soundfont.
DEV_SEED = 20261207
DEV_VOICES = (("flite", "awb"), ("festival", "voice_msu_ru_nsh_clunits"), ("flite", "kal16"),
              ("festival", "voice_upc_ca_ona_hts"), ("espeak", "en-gb+m3"), ("festival", "voice_czech_dita"))
DEV_SOUNDFONTS = ("/usr/share/sounds/sf2/FluidR3_GM.sf2",)
PROFILES = ("eval", "dev")
SENTENCES = (
    "The lighthouse keeper painted the railing a pale shade of green.",
    "Please bring the blue folder to the meeting on Thursday morning.",
    "A cold wind swept across the harbour before sunrise.",
    "She measured the flour twice and still the bread came out flat.",
    "Our train was delayed because of a signal fault near the bridge.",
    "Six small ducks followed their mother along the muddy canal.",
    "The violin sounded thin in the empty concert hall.",
    "He forgot the password and had to call the help desk again.",
    "Fresh strawberries are cheaper at the market on Saturdays.",
    "The museum closes early during the winter holidays.",
    "Turn left at the bakery and the library is on your right.",
    "Thick fog rolled over the hills and hid the village.",
    "The children built a fort out of cushions and old blankets.",
    "We should check the tyres before the long drive north.",
    "Her laughter echoed down the narrow stone staircase.",
    "The recipe calls for a pinch of salt and three ripe lemons.",
    "A sudden thunderstorm cancelled the outdoor festival.",
    "Could you speak a little louder, the microphone is far away?",
    "The old clock in the hallway chimed exactly at noon.",
    "Seven students stayed late to finish the chemistry project.",
    "The pilot announced a short delay due to heavy traffic.",
    "Rain tapped softly against the kitchen window all night.",
    "My neighbour grows tomatoes, peppers and sweet basil.",
    "The committee will vote on the proposal next Wednesday.",
    "Bright sparks flew from the grinder in the workshop.",
    "He whistled a cheerful tune while fixing the bicycle chain.",
    "The quiet street woke slowly as the shops opened.",
    "Shipping costs rose sharply after the storm season.",
    "Keep the receipt in case the jacket does not fit.",
    "The astronomer pointed the telescope toward the faint comet.",
    "Nobody noticed the cat sleeping on the warm laptop.",
    "The soup needs another ten minutes on a low flame.",
    "Several fishing boats returned with empty nets.",
    "She switched off the lamp and listened to the waves.",
    "Please save your work before the system restarts.",
    "The choir rehearsed the final chorus until it was perfect.",
    "A yellow kite was stuck high in the oak tree.",
    "The mechanic said the brakes were almost worn through.",
    "Thirty volunteers cleaned the beach on Sunday afternoon.",
    "The letter arrived three weeks after it was posted.",
    "His sister studies marine biology on the west coast.",
    "Smooth jazz drifted from the cafe across the square.",
)


def _rng(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), 9001, *[int(s) for s in salt]])


@dataclass(frozen=True)
class Profile:
    """What a set is made of: its voices, text, music soundfont, default seed and folder."""
    name: str
    voices: tuple
    texts: tuple
    soundfonts: tuple
    seed: int
    out: Path


def profile(name: str = "eval") -> Profile:
    """The held-out set (``eval``) or its development twin (``dev``, training voices and text)."""
    if name == "eval":
        return Profile("eval", VOICES, SENTENCES, SOUNDFONTS, DEFAULT_SEED, DEFAULT_OUT)
    if name == "dev":
        rng = _rng(DEV_SEED, 6)
        texts = tuple(sd.sentence(rng) for _ in range(len(SENTENCES)))
        return Profile("dev", DEV_VOICES, texts, DEV_SOUNDFONTS, DEV_SEED, Path("data/dev"))
    raise ValueError(f"unknown evaluation set profile {name!r} (choose from {', '.join(PROFILES)})")


def festival_voice(voice: str) -> str | None:
    """The festival voice to call for ``voice`` (or its Debian stand-in), or None if not installed."""
    if not shutil.which("text2wave"):
        return None
    for name in (voice, FESTIVAL_STANDINS.get(voice)):
        if name and any(Path("/usr/share/festival/voices").glob(f"*/{name.replace('voice_', '')}")):
            return name
    return None


def available_voices(voices: tuple = VOICES) -> tuple[list[tuple[str, str]], list[str]]:
    """The set's voices that can speak here as (engine, voice to call), and the missing ones."""
    have, missing = [], []
    flite_voices = ""
    if shutil.which("flite"):
        flite_voices = subprocess.run(["flite", "-lv"], capture_output=True, text=True).stdout
    for engine, voice in voices:
        if engine == "flite":
            ok = voice in flite_voices.split()
            call = voice
        elif engine == "festival":
            call = festival_voice(voice)
            ok = call is not None
        else:
            ok, call = shutil.which("espeak-ng") is not None, voice
        (have.append((engine, call)) if ok else missing.append(f"{engine}:{voice}"))
    return have, missing


def soundfont(paths: tuple = SOUNDFONTS) -> str | None:
    return next((p for p in paths if Path(p).exists()), None)


def _fade(x: np.ndarray, ms: float = 10.0) -> np.ndarray:
    m = min(len(x) // 2, int(SR * ms / 1000))
    if m > 0:
        ramp = np.linspace(0.0, 1.0, m, dtype=np.float32)
        x = x.copy()
        x[:m] *= ramp
        x[-m:] *= ramp[::-1]
    return x


def utterance(voice: tuple[str, str], sentences: list[int], rng: np.random.Generator, tmp: Path,
              texts: tuple = SENTENCES) -> np.ndarray:
    """Full-band 48 kHz speech of the given sentences of ``texts`` (0.2 s apart), peak 0.5."""
    parts = []
    for k in sentences:
        x, sr = sd.tts(*voice, texts[k % len(texts)], rng, tmp)
        x = sd.trim_silence(sd.exciter(sd.resample(x, sr), band_top=0.45 * sr, rng=rng), keep=2400)
        parts += [x, np.zeros(int(0.2 * SR), np.float32)]
    x = np.concatenate(parts[:-1])
    return (x / (np.max(np.abs(x)) + 1e-9) * 0.5).astype(np.float32)


def place(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """Put ``x`` into ``n`` samples: cropped (with fades) when longer, at a random offset otherwise."""
    out = np.zeros(n, np.float32)
    if len(x) >= n - int(0.2 * SR):
        seg = _fade(x[: n - int(0.1 * SR)])
        out[int(0.05 * SR): int(0.05 * SR) + len(seg)] = seg
        return out
    off = int(rng.integers(int(0.1 * SR), n - len(x) - int(0.1 * SR) + 1))
    out[off: off + len(x)] = x
    return out


def speech_clip(voice, first: int, n: int, rng: np.random.Generator, tmp: Path,
                texts: tuple = SENTENCES) -> tuple[np.ndarray, list[int]]:
    """Speech for one clip: one sentence, two when the first is short."""
    idx = [first]
    x = utterance(voice, idx, rng, tmp, texts)
    if len(x) < 0.6 * n:
        idx.append(first + 17)
        x = utterance(voice, idx, rng, tmp, texts)
    return place(x, n, rng), idx


def babble(voices: list, exclude: tuple[str, str], n: int, rng: np.random.Generator, tmp: Path,
           texts: tuple = SENTENCES) -> np.ndarray:
    others = [v for v in voices if v != exclude] or list(voices)
    y = np.zeros(n, np.float32)
    for t in range(int(rng.integers(4, 7))):
        v = others[t % len(others)]
        x = utterance(v, [int(rng.integers(len(texts)))], rng, tmp, texts)
        x = np.tile(x, int(np.ceil(n / len(x))) + 1)
        off = int(rng.integers(0, len(x) - n))
        y += x[off: off + n] * rng.uniform(0.5, 1.0)
    return y


# --------------------------------------------------------------------------- music
def _vlq(v: int) -> bytes:
    out = [v & 0x7F]
    while v > 0x7F:
        v >>= 7
        out.insert(0, (v & 0x7F) | 0x80)
    return bytes(out)


def music_midi(sections: int, seconds: float, rng: np.random.Generator) -> bytes:
    """One MIDI file of ``sections`` pieces, each ``seconds`` long followed by 1 s of silence.

    Every piece has its own key, tempo feel and two or three GM instruments: a walking bass, chord
    stabs and a melody (some pieces add a drum groove on channel 10). Times are in seconds at a fixed
    120 BPM / 480 ticks per beat, so a section starts exactly at ``k * (seconds + 1)``.
    """
    tpq = 480
    ticks = lambda s: int(round(s * 2 * tpq))  # noqa: E731 - 120 BPM: 2 beats per second
    ev: list[tuple[int, int, bytes]] = []
    programs = [(0, 32, 48), (4, 33, 73), (24, 35, 40), (16, 34, 65), (5, 38, 56), (1, 43, 71), (11, 32, 22)]
    for k in range(sections):
        t0 = k * (seconds + 1.0)
        root = int(rng.integers(50, 62))
        minor = rng.random() < 0.5
        scale = [0, 2, 3, 5, 7, 8, 10] if minor else [0, 2, 4, 5, 7, 9, 11]
        beat = 60.0 / rng.uniform(80, 140)
        chords, bass, lead = programs[(k + int(rng.integers(len(programs)))) % len(programs)]
        for ch, prog in ((0, chords), (1, bass), (2, lead)):
            ev.append((ticks(t0), 0, bytes([0xC0 | ch, prog])))
        t, degree = 0.0, 0
        while t < seconds - 0.05:
            dur = min(beat * 2, seconds - t)
            for iv in (0, 2, 4):  # triad on the current degree
                d = degree + iv
                note = root + scale[d % 7] + 12 * (d // 7)
                ev += [(ticks(t0 + t), 1, bytes([0x90, note, 70])), (ticks(t0 + t + dur * 0.9), 0, bytes([0x80, note, 0]))]
            for j in range(2):  # bass on the beats
                bt = t + j * beat
                if bt < seconds:
                    note = root - 12 + scale[degree % 7]
                    ev += [(ticks(t0 + bt), 1, bytes([0x91, note, 90])),
                           (ticks(t0 + min(bt + beat * 0.8, seconds)), 0, bytes([0x81, note, 0]))]
            degree = int(rng.choice([0, 3, 4, 5]))
            t += dur
        t = 0.0
        while t < seconds - 0.05:  # melody
            dur = min(beat * float(rng.choice([0.5, 0.5, 1.0, 1.5])), seconds - t)
            if rng.random() < 0.85:
                note = root + 12 + scale[int(rng.integers(7))]
                ev += [(ticks(t0 + t), 1, bytes([0x92, note, int(rng.integers(60, 110))])),
                       (ticks(t0 + t + dur * 0.95), 0, bytes([0x82, note, 0]))]
            t += dur
        if rng.random() < 0.5:
            bt = 0.0
            while bt < seconds - 0.05:
                for note, on in ((36, int(bt / beat) % 2 == 0), (38, int(bt / beat) % 2 == 1), (42, True)):
                    if on:
                        ev += [(ticks(t0 + bt), 1, bytes([0x99, note, 95])), (ticks(t0 + bt + 0.05), 0, bytes([0x89, note, 0]))]
                bt += beat / 2
    ev.sort(key=lambda e: (e[0], e[1]))
    body = bytearray(b"\x00\xff\x51\x03" + (500000).to_bytes(3, "big"))
    last = 0
    for t, _, msg in ev:
        body += _vlq(t - last) + msg
        last = t
    body += b"\x00\xff\x2f\x00"
    return (b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big")
            + tpq.to_bytes(2, "big") + b"MTrk" + len(body).to_bytes(4, "big") + bytes(body))


def render_music(sections: int, n: int, rng: np.random.Generator, tmp: Path,
                 soundfonts: tuple = SOUNDFONTS) -> list[np.ndarray]:
    """``sections`` music excerpts of ``n`` samples, rendered in one fluidsynth call."""
    sf2 = soundfont(soundfonts)
    if not (shutil.which("fluidsynth") and sf2):
        raise RuntimeError(f"music needs fluidsynth and one of {', '.join(soundfonts)} "
                           "(Debian: fluidsynth, musescore-general-soundfont, fluid-soundfont-gm)")
    seconds = n / SR
    mid, wav = tmp / "eval_music.mid", tmp / "eval_music.wav"
    mid.write_bytes(music_midi(sections, seconds, rng))
    subprocess.run(["fluidsynth", "-ni", "-g", "0.5", "-r", str(SR), "-F", str(wav), sf2, str(mid)],
                   check=True, capture_output=True, timeout=600)
    audio = load_audio(wav)
    x = sd.resample(audio.data.mean(axis=1), audio.samplerate)
    step = int(round((seconds + 1.0) * SR))
    out = []
    for k in range(sections):
        seg = np.pad(x[k * step: k * step + n], (0, max(0, n - len(x[k * step: k * step + n]))))
        out.append(_fade(seg.astype(np.float32)))
    return out


# --------------------------------------------------------------------------- rooms and noise
def room_rir(rng: np.random.Generator) -> tuple[np.ndarray, dict]:
    """A shoebox RIR starting at its direct path (so dry speech stays aligned), direct path = 1."""
    import pyroomacoustics as pra

    dims = rng.uniform([3.5, 3.0, 2.5], [12.0, 9.0, 4.5])
    rt60 = float(rng.uniform(0.3, 1.0))
    absorption, order = pra.inverse_sabine(rt60, dims)
    room = pra.ShoeBox(dims, fs=SR, materials=pra.Material(absorption), max_order=min(order, 14))
    room.add_source(rng.uniform([0.5, 0.5, 1.2], dims - 0.5))
    room.add_microphone(rng.uniform([0.5, 0.5, 1.0], dims - 0.5))
    room.compute_rir()
    h = np.asarray(room.rir[0][0], np.float64)
    peak = int(np.argmax(np.abs(h)))
    h = h[peak: peak + int(1.2 * SR)] / h[peak]
    return h.astype(np.float32), {"dims_m": [round(float(d), 2) for d in dims], "rt60_s": round(rt60, 2)}


def noise(kind: str, n: int, rng: np.random.Generator) -> np.ndarray:
    if kind == "pink":
        return sd.coloured(n, rng, 1.0)
    if kind == "brown":
        return sd.coloured(n, rng, 2.0)
    if kind == "hum":
        return sd.hum(n, rng)
    if kind == "fan":
        return sd.fan(n, rng)
    if kind == "keyboard":
        return sd.clicks(n, rng, rate=rng.uniform(5, 11), dur_ms=(4, 14))
    raise ValueError(kind)


def _power(x: np.ndarray) -> float:
    return float(np.mean(np.asarray(x, np.float64) ** 2)) + 1e-12


def mix_at(speech: np.ndarray, noise_sig: np.ndarray, snr_db: float) -> np.ndarray:
    """``speech + g * noise`` with g chosen so that the whole-clip SNR is ``snr_db``."""
    g = np.sqrt(_power(speech) / (_power(noise_sig) * 10 ** (snr_db / 10)))
    return (speech + g * noise_sig).astype(np.float32)


def schedule(clips: int, seed: int) -> list[tuple[str, float]]:
    """(kind, snr) per noisy clip: kinds in turn, SNRs stratified over -5..15 dB within each kind."""
    rng = _rng(seed, 1)
    per_kind = {k: [] for k in NOISE_KINDS}
    counts = {k: len(range(i, clips, len(NOISE_KINDS))) for i, k in enumerate(NOISE_KINDS)}
    for k, c in counts.items():
        grid = np.linspace(-5, 15, c) if c > 1 else np.array([5.0])
        jitter = rng.uniform(-1, 1, c) * (20 / max(c, 1) / 2 if c > 1 else 0)
        per_kind[k] = list(rng.permutation(np.clip(grid + jitter, -5, 15)))
    return [(NOISE_KINDS[i % len(NOISE_KINDS)], round(float(per_kind[NOISE_KINDS[i % len(NOISE_KINDS)]].pop()), 2))
            for i in range(clips)]


# --------------------------------------------------------------------------- the set
def generate(out: Path, clips: int = 48, seconds: float = 4.0, seed: int | None = None, log=print,
             profile_name: str = "eval") -> dict:
    prof = profile(profile_name)
    seed = prof.seed if seed is None else seed
    out = Path(out)
    (out / "clips").mkdir(parents=True, exist_ok=True)
    voices, missing = available_voices(prof.voices)
    if not voices:
        raise RuntimeError(f"no voice of the {prof.name} set can speak here (install flite / espeak-ng / festvox voices)")
    n = int(round(seconds * SR))
    plan = schedule(clips, seed)
    n_music = sum(k == "music" for k, _ in plan)
    manifest = {"version": VERSION, "profile": prof.name, "seed": seed, "clips": clips, "seconds": seconds, "samplerate": SR,
                "voices": [f"{e}:{v}" for e, v in voices], "voices_missing": missing,
                "noise_kinds": list(NOISE_KINDS), "soundfont": Path(soundfont(prof.soundfonts) or "none").name,
                "snr": "whole-clip speech power / noise power; reverb: wet speech vs noise, reference dry",
                "items": []}

    def write(item_id: str, kind: str, noisy: np.ndarray, clean: np.ndarray, **info) -> None:
        level = float(info.pop("level_db"))
        g = 10 ** (level / 20) / np.sqrt(_power(clean))
        peak = float(np.max(np.abs(noisy * g)))
        if peak > 0.95:
            g *= 0.95 / peak
        paths = {}
        for role, sig in (("noisy", noisy), ("clean", clean)):
            rel = f"clips/{item_id}_{role}.wav"
            save_audio(out / rel, (sig * g).astype(np.float32), SR, overwrite=True)
            paths[role] = rel
        manifest["items"].append({"id": item_id, "kind": kind, **info,
                                  "level_db": round(20 * np.log10(np.sqrt(_power(clean * g))), 1), **paths})

    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        music = render_music(n_music + 1, n, _rng(seed, 2), tmp, prof.soundfonts)
        for i, (kind, snr) in enumerate(plan):
            rng = _rng(seed, 3, i)
            voice = voices[i % len(voices)]
            clean, sent = speech_clip(voice, (5 * i) % len(prof.texts), n, rng, tmp, prof.texts)
            info = {"snr_db": snr, "voice": f"{voice[0]}:{voice[1]}", "sentences": sent,
                    "level_db": rng.uniform(-34, -18)}
            if kind == "babble":
                nz = babble(voices, voice, n, rng, tmp, prof.texts)
                noisy = mix_at(clean, nz, snr)
            elif kind == "music":
                noisy = mix_at(clean, music.pop(0), snr)
            elif kind == "reverb":
                h, room = room_rir(_rng(seed, 4, i))
                from scipy.signal import fftconvolve

                wet = fftconvolve(clean, h)[:n].astype(np.float32)
                noisy = mix_at(wet, noise(str(rng.choice(["pink", "fan", "brown"])), n, rng), snr)
                info["room"] = room
            else:
                noisy = mix_at(clean, noise(kind, n, rng), snr)
            write(f"{i:03d}_{kind}", kind, noisy, clean, **info)
            if (i + 1) % 8 == 0:
                log(f"eval set: {i + 1}/{clips} noisy clips")
        for j, voice in enumerate(voices):
            rng = _rng(seed, 5, j)
            clean, sent = speech_clip(voice, 3 + 7 * j, n, rng, tmp, prof.texts)
            write(f"clean{j:02d}", "clean_speech", clean, clean, voice=f"{voice[0]}:{voice[1]}",
                  sentences=sent, snr_db=None, level_db=rng.uniform(-30, -20))
        write("music00", "clean_music", music[-1], music[-1], snr_db=None, level_db=-22.0)
    (out / "manifest.json").write_text(json.dumps(manifest, indent=1))
    log(f"eval set: {len(manifest['items'])} items in {out}")
    return manifest


def ensure(out: Path | None = None, clips: int = 48, seconds: float = 4.0, seed: int | None = None,
           log=print, profile_name: str = "eval") -> dict:
    """The manifest of the set at ``out``, generating it first unless it exists with these settings;
    ``out`` and ``seed`` default to the profile's own."""
    prof = profile(profile_name)
    out, seed = out or prof.out, prof.seed if seed is None else seed
    path = Path(out) / "manifest.json"
    if path.exists():
        try:
            m = json.loads(path.read_text())
            key = (m.get("version"), m.get("profile", "eval"), m.get("clips"), m.get("seconds"), m.get("seed"))
            if key == (VERSION, profile_name, clips, seconds, seed) \
                    and all((Path(out) / it[r]).exists() for it in m["items"] for r in ("noisy", "clean")):
                return m
        except (OSError, ValueError, KeyError, TypeError):
            pass
        log(f"{profile_name} set at {out} does not match (clips={clips}, seconds={seconds}, seed={seed}); "
            "regenerating")
    return generate(Path(out), clips, seconds, seed, log, profile_name)


def load_item(out: Path, item: dict) -> tuple[np.ndarray, np.ndarray]:
    """(noisy, clean) mono float32 at 48 kHz for one manifest item."""
    noisy, clean = load_audio(Path(out) / item["noisy"]), load_audio(Path(out) / item["clean"])
    return noisy.data[:, 0].copy(), clean.data[:, 0].copy()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the enhancer's held-out evaluation set (seeded).")
    ap.add_argument("--profile", choices=PROFILES, default="eval",
                    help="eval: held-out voices (default); dev: its twin from training voices, for choosing settings")
    ap.add_argument("--out", default=None, help="folder (default data/eval or data/dev)")
    ap.add_argument("--clips", type=int, default=48, help="noisy clips (plus clean speech and music)")
    ap.add_argument("--seconds", type=float, default=4.0)
    ap.add_argument("--seed", type=int, default=None, help="default: the profile's own seed")
    ap.add_argument("--force", action="store_true", help="regenerate even if a matching set exists")
    args = ap.parse_args(argv)
    out = Path(args.out) if args.out else None
    if args.force:
        generate(out or profile(args.profile).out, args.clips, args.seconds, args.seed, profile_name=args.profile)
    else:
        ensure(out, args.clips, args.seconds, args.seed, profile_name=args.profile)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
