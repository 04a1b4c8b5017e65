"""Seeded training data for the speech enhancer: clean full-band speech, noises and rooms.

Everything is made here from the machine's own synthesisers, so a seed reproduces the set:

* ``clean/``  utterances from espeak-ng (voice variants, speed, pitch), flite (kal, kal16, awb) and
  festival (English kal/rab plus Czech, Finnish, Italian, Russian and Catalan voices reading the
  English text, when installed), resampled to 48 kHz; after one utterance per voice, each utterance
  draws an engine, then a voice. Most TTS voices stop at 8 or 11 kHz, so each utterance gets a
  seeded *exciter*: harmonics regenerated from its top octave and envelope-following noise for
  sibilance and air, high-passed above the TTS band. The targets are
  therefore full band and the model cannot learn "remove everything above 8 kHz".
* ``noise/``  babble (many training voices at once), white/pink/brown, mains hum with harmonics,
  fans/HVAC, keyboard typing, knocks and clicks, music rendered from random MIDI with FluidR3_GM via
  fluidsynth, and sox-coloured variants of them.
* ``rirs/``   room impulse responses from pyroomacoustics (shoebox rooms, random absorption).

Mixing (speech level, SNR -5..20 dB, reverb) happens on the fly in ``enhancer_task``, so a few
minutes of material give endless distinct mixtures.

HELD OUT for the benchmark and never used here: flite ``slt``/``rms``, festival ``kdl_diphone`` and
``cmu_us_slt_arctic_hts``, espeak-ng ``+f4``/``+m6``, and the musescore-general soundfont.

Run: ``python -m desktop_gan.training.speech_data --out data/enhancer --minutes 20 --seed 0``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import tempfile
from pathlib import Path

import numpy as np
import soundfile as sf
from scipy import signal

SR = 48000
HELD_OUT = {
    "flite": ("slt", "rms"),
    "festival": ("voice_kdl_diphone", "voice_cmu_us_slt_arctic_hts"),
    "espeak": ("+f4", "+m6"),
    "soundfont": ("MuseScore_General",),
}
ESPEAK_BASES = ("en", "en-us", "en-gb", "en-gb-scotland", "en-gb-x-rp")
ESPEAK_VARIANTS = ("", "+m1", "+m2", "+m3", "+m4", "+m5", "+m7", "+f1", "+f2", "+f3", "+f5",
                   "+klatt", "+klatt2", "+klatt3", "+klatt4", "+Andy", "+adam", "+linda", "+steph")
FLITE_VOICES = ("kal", "kal16", "awb")
# Festival's other-language voices read the same English text through their own letter-to-sound
# rules: more speakers (diphone, unit selection and HTS, male, female and a child) than English alone.
FESTIVAL_VOICES = ("voice_kal_diphone", "voice_rab_diphone", "voice_czech_dita", "voice_czech_krb",
                   "voice_czech_machac", "voice_czech_ph", "voice_suo_fi_lj_diphone", "voice_hy_fi_mv_diphone",
                   "voice_lp_diphone", "voice_pc_diphone", "voice_msu_ru_nsh_clunits", "voice_upc_ca_ona_hts")
SOUNDFONT = "/usr/share/sounds/sf2/FluidR3_GM.sf2"
NOISE_KINDS = ("babble", "white", "pink", "brown", "hum", "fan", "keyboard", "transients", "music")
WORDS = (
    "the a one two three four five six seven eight nine ten time year people way day man woman "
    "child world life hand part place case week company system program question work government "
    "number night point home water room mother area money story fact month lot right study book eye "
    "job word business issue side kind head house service friend father power hour game line end "
    "member law car city community name president team minute idea kid body information back parent "
    "face others level office door health person art war history party result change morning reason "
    "research girl guy moment air teacher force education foot boy age policy everything process music "
    "market sense nation plan college interest death experience effect class control care field "
    "development role effort rate heart drug show leader light voice wife police mind price report "
    "is was says said makes made takes took comes came sees saw knows knew gets got gives gave finds "
    "found thinks thought tells told becomes became leaves left feels felt brings brought begins "
    "began keeps kept holds held writes wrote stands stood hears heard lets means sets meets runs "
    "pays sits speaks lies leads reads grows loses falls sends builds stays cuts reaches kills raises "
    "passes sells decides returns explains hopes develops carries breaks receives agrees supports "
    "good new first last long great little own other old big high different small large next early "
    "young important few public bad same able quickly slowly quietly often never always really very "
    "and but or so because if when while after before with without from into over under between "
    "through against during about zebra crystal whisper sixty seventh fresh sharp splash thistle "
    "question exact strength physics chess shoes science sister stitches success fizz buzz"
).split()


def _rng(seed: int, *salt: int) -> np.random.Generator:
    return np.random.default_rng([int(seed), *[int(s) for s in salt]])


def sentence(rng: np.random.Generator) -> str:
    n = int(rng.integers(5, 14))
    words = [WORDS[int(i)] for i in rng.integers(0, len(WORDS), n)]
    text = " ".join(words)
    if rng.random() < 0.3:
        k = int(rng.integers(2, n - 1))
        text = " ".join(words[:k]) + ", " + " ".join(words[k:])
    return text[0].upper() + text[1:] + (". " if rng.random() < 0.8 else "? ")


def resample(x: np.ndarray, sr_in: int, sr_out: int = SR) -> np.ndarray:
    import soxr

    if sr_in == sr_out:
        return x.astype(np.float32)
    return soxr.resample(x.astype(np.float32), sr_in, sr_out, quality="HQ").astype(np.float32)


def _read(path: Path) -> tuple[np.ndarray, int]:
    x, sr = sf.read(str(path), dtype="float32", always_2d=True)
    return x.mean(axis=1), int(sr)


def available_voices() -> list[tuple[str, str]]:
    """Training voices present on this machine as (engine, voice); held-out ones never appear."""
    voices: list[tuple[str, str]] = []
    if shutil.which("espeak-ng"):
        voices += [("espeak", b + v) for b in ESPEAK_BASES for v in ESPEAK_VARIANTS]
    if shutil.which("flite"):
        voices += [("flite", v) for v in FLITE_VOICES]
    if shutil.which("text2wave") and Path("/usr/share/festival/voices").is_dir():
        for v in FESTIVAL_VOICES:
            name = v.replace("voice_", "")
            if any(Path("/usr/share/festival/voices").glob(f"*/{name}")):
                voices.append(("festival", v))
    held = {v for vs in HELD_OUT.values() for v in vs}
    return [(e, v) for e, v in voices if v not in held and not any(v.endswith(h) for h in held)]


def tts(engine: str, voice: str, text: str, rng: np.random.Generator, tmp: Path) -> tuple[np.ndarray, int]:
    """Speak ``text`` with one voice; speed and pitch are drawn from ``rng``."""
    wav = tmp / "tts.wav"
    if engine == "espeak":
        cmd = ["espeak-ng", "-v", voice, "-s", str(int(rng.integers(120, 200))),
               "-p", str(int(rng.integers(25, 80))), "-w", str(wav), text]
    elif engine == "flite":
        cmd = ["flite", "-voice", voice, "--setf", f"duration_stretch={rng.uniform(0.8, 1.25):.2f}",
               "--setf", f"int_f0_target_mean={rng.uniform(90, 160):.0f}", "-t", text, "-o", str(wav)]
    else:
        (tmp / "t.txt").write_text(text)
        cmd = ["text2wave", "-eval", f"({voice})", str(tmp / "t.txt"), "-o", str(wav)]
    wav.unlink(missing_ok=True)
    subprocess.run(cmd, check=True, capture_output=True, timeout=60)
    try:
        x, sr = _read(wav)
    except (OSError, RuntimeError) as exc:  # libsndfile's errors are RuntimeErrors
        raise RuntimeError(f"{engine}:{voice} made no readable audio ({exc})") from None
    if len(x) < sr // 10:
        raise RuntimeError(f"{engine}:{voice} made no audio")
    return x, sr


def _sos(kind: str, f, sr: int = SR, order: int = 4):
    return signal.butter(order, f, btype=kind, fs=sr, output="sos")


def exciter(x: np.ndarray, band_top: float, rng: np.random.Generator) -> np.ndarray:
    """Add seeded full-band content above ``band_top`` Hz to band-limited speech at 48 kHz.

    Two parts, both following the speech: (1) harmonics made by a soft nonlinearity on the top
    octave, (2) noise shaped by the envelope of the 3 kHz..band_top region (sibilants, breath).
    Each is high-passed at ``band_top`` and tilted down towards 20 kHz like real voices.
    """
    top = min(band_top, 0.45 * SR)
    hb = signal.sosfilt(_sos("bandpass", [top / 2, top * 0.98]), x)
    ref = np.sqrt(np.mean(hb ** 2)) + 1e-9
    harm = hb * np.abs(hb) / ref
    harm = signal.sosfilt(_sos("highpass", top, order=6), harm)
    sib_band = signal.sosfilt(_sos("bandpass", [3000.0, top * 0.98]), x)
    env = signal.sosfilt(_sos("lowpass", 60.0, order=2), np.abs(sib_band))
    noise = signal.sosfilt(_sos("highpass", top, order=6), rng.standard_normal(len(x)))
    noise = noise * np.maximum(env, 0.0) / (np.sqrt(np.mean(env ** 2)) + 1e-9) * ref
    tilt = signal.sosfilt(_sos("lowpass", rng.uniform(12000, 20000), order=1), harm * rng.uniform(0.15, 0.5)
                          + noise * rng.uniform(0.3, 0.9))
    hf = tilt / (np.sqrt(np.mean(tilt ** 2)) + 1e-9) * ref * rng.uniform(0.2, 0.6)
    return (x + hf).astype(np.float32)


def make_utterance(voice: tuple[str, str], rng: np.random.Generator, tmp: Path) -> np.ndarray:
    """One full-band utterance; a voice that fails on a text gets two more texts, then raises."""
    for attempt in range(3):
        text = " ".join(sentence(rng) for _ in range(int(rng.integers(1, 3))))
        try:
            x, sr = tts(*voice, text, rng, tmp)
            break
        except (RuntimeError, subprocess.SubprocessError):
            if attempt == 2:
                raise
    x = resample(x, sr)
    x = exciter(x, band_top=0.45 * sr, rng=rng)
    x = trim_silence(x)
    return (x / (np.max(np.abs(x)) + 1e-9) * 0.5).astype(np.float32)


def trim_silence(x: np.ndarray, keep: int = 4800) -> np.ndarray:
    idx = np.flatnonzero(np.abs(x) > 1e-3 * (np.max(np.abs(x)) + 1e-9))
    if idx.size == 0:
        return x
    return x[max(0, idx[0] - keep): idx[-1] + keep]


# --------------------------------------------------------------------------- noises
def coloured(n: int, rng: np.random.Generator, exponent: float) -> np.ndarray:
    """Noise with power ~ 1/f^exponent (0 white, 1 pink, 2 brown)."""
    spec = np.fft.rfft(rng.standard_normal(n))
    f = np.fft.rfftfreq(n, 1 / SR)
    f[0] = f[1]
    y = np.fft.irfft(spec / f ** (exponent / 2), n)
    return y.astype(np.float32)


def hum(n: int, rng: np.random.Generator) -> np.ndarray:
    f0 = float(rng.choice([50.0, 60.0])) * rng.uniform(0.995, 1.005)
    t = np.arange(n) / SR
    y = np.zeros(n)
    for k in range(1, int(rng.integers(4, 30))):
        y += rng.uniform(0.1, 1.0) / k ** rng.uniform(0.3, 1.2) * np.sin(2 * np.pi * f0 * k * t + rng.uniform(0, 6.3))
    return (y + 0.02 * rng.standard_normal(n)).astype(np.float32)


def fan(n: int, rng: np.random.Generator) -> np.ndarray:
    base = coloured(n, rng, rng.uniform(0.5, 1.8))
    base = signal.sosfilt(_sos("lowpass", rng.uniform(800, 8000), order=2), base)
    t = np.arange(n) / SR
    blade = rng.uniform(60, 400)
    tones = sum(np.sin(2 * np.pi * blade * k * t) / k for k in range(1, 5))
    mod = 1 + 0.2 * np.sin(2 * np.pi * rng.uniform(0.1, 2) * t)
    y = base / (np.std(base) + 1e-9) * mod + rng.uniform(0.05, 0.5) * tones
    return y.astype(np.float32)


def clicks(n: int, rng: np.random.Generator, rate: float, dur_ms: tuple[float, float]) -> np.ndarray:
    """Decaying filtered bursts at random times: keyboards (fast, short) or knocks (slow, longer)."""
    y = np.zeros(n, np.float32)
    t = 0
    while True:
        t += int(rng.exponential(SR / rate))
        if t >= n:
            break
        m = int(SR * rng.uniform(*dur_ms) / 1000)
        burst = rng.standard_normal(m) * np.exp(-np.arange(m) / (m / rng.uniform(3, 8)))
        lo = rng.uniform(200, 3000)
        burst = signal.sosfilt(_sos("bandpass", [lo, min(lo * rng.uniform(2, 8), 22000)], order=2), burst)
        end = min(n, t + m)
        y[t:end] += (burst[: end - t] * rng.uniform(0.3, 1.0)).astype(np.float32)
    return y


def _midi_file(rng: np.random.Generator, seconds: float) -> bytes:
    """A tiny type-0 MIDI file: a random progression on 2-3 GM instruments, plus drums sometimes."""
    tpq, bpm = 480, float(rng.uniform(70, 150))
    tick_s = 60.0 / bpm / tpq
    events: list[tuple[int, bytes]] = []
    root = int(rng.integers(45, 60))
    scale = [0, 2, 4, 5, 7, 9, 11] if rng.random() < 0.6 else [0, 2, 3, 5, 7, 8, 10]
    for ch in range(int(rng.integers(1, 4))):
        events.append((0, bytes([0xC0 | ch, int(rng.integers(0, 96))])))
        t = 0
        while t * tick_s < seconds:
            dur = int(tpq * rng.choice([0.25, 0.5, 1, 2]))
            if rng.random() < 0.85:
                note = root + 12 * ch + scale[int(rng.integers(0, 7))]
                vel = int(rng.integers(50, 120))
                events += [(t, bytes([0x90 | ch, note, vel])), (t + dur, bytes([0x80 | ch, note, 0]))]
            t += dur
    if rng.random() < 0.5:
        for beat in range(int(seconds / (60 / bpm))):
            for note, hit in ((36, beat % 2 == 0), (38, beat % 2 == 1), (42, True)):
                if hit:
                    events += [(beat * tpq, bytes([0x99, note, 100])), (beat * tpq + 60, bytes([0x89, note, 0]))]
    events.sort(key=lambda e: e[0])
    body, last = bytearray(), 0
    tempo = int(60e6 / bpm)
    body += b"\x00\xff\x51\x03" + tempo.to_bytes(3, "big")
    for t, msg in events:
        delta, last = t - last, t
        vlq = [delta & 0x7F]
        while delta > 0x7F:
            delta >>= 7
            vlq.insert(0, (delta & 0x7F) | 0x80)
        body += bytes(vlq) + msg
    body += b"\x00\xff\x2f\x00"
    return b"MThd" + (6).to_bytes(4, "big") + (0).to_bytes(2, "big") + (1).to_bytes(2, "big") + \
        tpq.to_bytes(2, "big") + b"MTrk" + len(body).to_bytes(4, "big") + bytes(body)


def music(n: int, rng: np.random.Generator, tmp: Path) -> np.ndarray:
    if not (shutil.which("fluidsynth") and Path(SOUNDFONT).exists()):
        return fan(n, rng)
    mid, wav = tmp / "m.mid", tmp / "m.wav"
    mid.write_bytes(_midi_file(rng, n / SR + 1))
    subprocess.run(["fluidsynth", "-ni", "-g", "0.6", "-r", str(SR), "-F", str(wav), SOUNDFONT, str(mid)],
                   check=True, capture_output=True, timeout=120)
    x, sr = _read(wav)
    x = resample(x, sr)
    return np.pad(x, (0, max(0, n - len(x))))[:n]


def babble(n: int, rng: np.random.Generator, voices: list, tmp: Path) -> np.ndarray:
    y = np.zeros(n, np.float32)
    for _ in range(int(rng.integers(3, 9))):
        x = make_utterance(pick_voice(voices, rng), rng, tmp)
        x = np.tile(x, int(np.ceil(n / len(x))) + 1)
        off = int(rng.integers(0, len(x) - n))
        y += x[off: off + n] * rng.uniform(0.5, 1.0)
    return y


def sox_colour(x: np.ndarray, rng: np.random.Generator, tmp: Path) -> np.ndarray:
    """Run a random sox effect chain (EQ, overdrive, tremolo, phaser, reverb) over a noise."""
    if tmp is None or not shutil.which("sox"):
        return x
    fx = [["equalizer", str(int(rng.uniform(200, 8000))), "1q", f"{rng.uniform(-12, 12):.1f}"],
          ["overdrive", str(int(rng.uniform(5, 20)))], ["tremolo", f"{rng.uniform(1, 8):.1f}", "40"],
          ["phaser", "0.8", "0.74", "3", "0.4", "0.5", "-t"], ["reverb", str(int(rng.uniform(20, 80)))]]
    chain = [e for i, e in enumerate(fx) if rng.random() < 0.35] or [fx[0]]
    src, dst = tmp / "sx_in.wav", tmp / "sx_out.wav"
    sf.write(str(src), x / (np.max(np.abs(x)) + 1e-9) * 0.5, SR, subtype="FLOAT")
    subprocess.run(["sox", str(src), str(dst), *[a for e in chain for a in e]], check=True, capture_output=True)
    y, _ = _read(dst)
    return np.pad(y, (0, max(0, len(x) - len(y))))[: len(x)]


def make_noise(kind: str, n: int, rng: np.random.Generator, voices: list, tmp: Path) -> np.ndarray:
    if kind == "babble":
        y = babble(n, rng, voices, tmp)
    elif kind in ("white", "pink", "brown"):
        y = coloured(n, rng, {"white": 0.0, "pink": 1.0, "brown": 2.0}[kind])
    elif kind == "hum":
        y = hum(n, rng)
    elif kind == "fan":
        y = fan(n, rng)
    elif kind == "keyboard":
        y = clicks(n, rng, rate=rng.uniform(4, 12), dur_ms=(3, 15))
    elif kind == "transients":
        y = clicks(n, rng, rate=rng.uniform(0.5, 3), dur_ms=(20, 150))
    else:
        y = music(n, rng, tmp)
    if kind not in ("music", "babble") and rng.random() < 0.25:
        y = sox_colour(y, rng, tmp)
    return (y / (np.max(np.abs(y)) + 1e-9) * 0.5).astype(np.float32)


def make_rirs(count: int, rng: np.random.Generator) -> list[np.ndarray]:
    import pyroomacoustics as pra

    rirs = []
    for _ in range(count):
        dims = rng.uniform([3, 3, 2.4], [10, 8, 4])
        rt60 = rng.uniform(0.2, 0.9)
        absorption, order = pra.inverse_sabine(rt60, dims)
        room = pra.ShoeBox(dims, fs=SR, materials=pra.Material(absorption), max_order=min(order, 12))
        src = rng.uniform([0.5, 0.5, 1.0], dims - 0.5)
        mic = rng.uniform([0.5, 0.5, 1.0], dims - 0.5)
        room.add_source(src)
        room.add_microphone(mic)
        room.compute_rir()
        h = np.asarray(room.rir[0][0], np.float32)[: int(SR * 1.0)]
        rirs.append(h / (np.max(np.abs(h)) + 1e-9))
    return rirs


def pick_voice(voices: list[tuple[str, str]], rng: np.random.Generator) -> tuple[str, str]:
    """An engine first, then one of its voices: espeak-ng's ~100 variants do not drown the rest."""
    engines = sorted({e for e, _ in voices})
    engine = engines[int(rng.integers(len(engines)))]
    mine = [v for v in voices if v[0] == engine]
    return mine[int(rng.integers(len(mine)))]


def generate(out: Path, minutes: float = 20.0, seed: int = 0, noise_minutes: float | None = None,
             rooms: int = 60, log=print, engines: tuple[str, ...] | None = None) -> dict:
    """Write ``clean/``, ``noise/``, ``rirs/`` and ``recipe.json`` under ``out``; returns the recipe.

    ``engines`` (e.g. ``("flite", "festival")``) keeps only those synthesisers' voices: a set of
    recorded-voice speech without espeak-ng's formant voices."""
    out = Path(out)
    voices = [v for v in available_voices() if engines is None or v[0] in engines]
    if not voices:  # before anything is written
        raise RuntimeError(f"no speech synthesiser found for {', '.join(engines or ('espeak-ng', 'flite'))}")
    for sub in ("clean", "noise", "rirs"):
        (out / sub).mkdir(parents=True, exist_ok=True)
    noise_minutes = minutes / 2 if noise_minutes is None else noise_minutes
    recipe = {"seed": seed, "minutes": minutes, "noise_minutes": noise_minutes, "samplerate": SR,
              "voices": [f"{e}:{v}" for e, v in voices], "voice_sampling": "each voice once, then engine-balanced", "noise_kinds": list(NOISE_KINDS),
              "held_out": HELD_OUT, "soundfont": Path(SOUNDFONT).name}
    if engines is not None:
        recipe["engines"] = list(engines)
    with tempfile.TemporaryDirectory() as td:
        tmp = Path(td)
        total, i = 0, 0
        while total < minutes * 60 * SR:
            rng = _rng(seed, 1, i)
            voice = voices[i] if i < len(voices) else pick_voice(voices, rng)
            x = make_utterance(voice, rng, tmp)
            sf.write(str(out / "clean" / f"{i:05d}.wav"), x, SR, subtype="PCM_16")
            total, i = total + len(x), i + 1
            if i % 100 == 0:
                log(f"clean: {i} utterances, {total / SR / 60:.1f} min")
        recipe["utterances"] = i
        clip = 4 * SR
        for j in range(int(np.ceil(noise_minutes * 60 * SR / clip))):
            rng = _rng(seed, 2, j)
            kind = NOISE_KINDS[j % len(NOISE_KINDS)]
            y = make_noise(kind, clip, rng, voices, tmp)
            sf.write(str(out / "noise" / f"{j:05d}_{kind}.wav"), y, SR, subtype="PCM_16")
            if j % 20 == 0:
                log(f"noise: {j} clips")
        recipe["noise_clips"] = j + 1
    rirs = make_rirs(rooms, _rng(seed, 3))
    np.save(out / "rirs" / "rirs.npy", np.stack([np.pad(h, (0, SR - len(h))) for h in rirs]))
    (out / "recipe.json").write_text(json.dumps(recipe, indent=2))
    log(f"done: {recipe['utterances']} utterances, {recipe['noise_clips']} noise clips in {out}")
    return recipe


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description="Generate the enhancer's training data (seeded).")
    ap.add_argument("--out", default="data/enhancer", help="output folder (default data/enhancer)")
    ap.add_argument("--minutes", type=float, default=20.0, help="minutes of clean speech")
    ap.add_argument("--noise-minutes", type=float, default=None, help="minutes of noise (default half)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--engines", default=None, help="comma list of synthesisers to use (default all): "
                    "espeak, flite, festival")
    args = ap.parse_args(argv)
    engines = tuple(e.strip() for e in args.engines.split(",")) if args.engines else None
    generate(Path(args.out), args.minutes, args.seed, args.noise_minutes, engines=engines)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
