"""Shared signals and models for the enhancer tests."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import signal

SR = 48000


def speech_like(seconds: float = 2.0, sr: int = SR, seed: int = 0, fricatives: bool = True) -> np.ndarray:
    """Voiced syllables (glottal pulses through moving formants), optionally with fricatives (noise
    bursts at 3-16 kHz). The pulses alone already carry harmonics up to 24 kHz: full band."""
    rng = np.random.default_rng(seed)
    n = int(seconds * sr)
    t = np.arange(n) / sr
    f0 = 120 + 40 * np.sin(2 * np.pi * 0.7 * t) + 15 * np.sin(2 * np.pi * 3.1 * t)
    phase = np.cumsum(f0 / sr)
    pulses = np.diff(np.floor(phase), prepend=0.0)
    src = signal.lfilter([1.0], [1.0, -0.95], pulses)  # -6 dB/oct glottal tilt, energy up to Nyquist
    voiced = np.zeros(n)
    vowels = [(700, 1200, 2600), (300, 2300, 3000), (500, 900, 2400), (400, 1900, 2550)]
    seg = int(0.25 * sr)
    for k, start in enumerate(range(0, n, seg)):
        piece = src[start:start + seg]
        out = np.zeros_like(piece)
        for f, bw in zip(vowels[k % 4] + (3500, 4500), (80, 100, 140, 200, 250)):
            r = np.exp(-np.pi * bw / sr)
            out += signal.lfilter([1 - r], [1, -2 * r * np.cos(2 * np.pi * f / sr), r * r], piece)
        voiced[start:start + seg] = out
    syll = np.clip(np.sin(np.pi * ((t * 4.0) % 1.0)), 0, 1) ** 0.7
    fric_env = np.clip(np.sin(np.pi * ((t * 4.0 + 0.55) % 1.0)), 0, 1) ** 6 * (np.sin(2 * np.pi * 1.3 * t) > 0)
    fric = signal.sosfilt(signal.butter(4, [3000, 16000], "bandpass", fs=sr, output="sos"), rng.standard_normal(n))
    x = voiced / np.std(voiced) * syll + (0.5 * fric * fric_env if fricatives else 0.0)
    x = signal.sosfilt(signal.butter(4, 70, "highpass", fs=sr, output="sos"), x)  # no DC rumble, like a real voice
    return (x / np.max(np.abs(x)) * 0.3).astype(np.float32)


def si_sdr(est: np.ndarray, ref: np.ndarray) -> float:
    est, ref = est.astype(np.float64), ref.astype(np.float64)
    e = np.dot(est, ref) / np.dot(ref, ref) * ref
    return float(10 * np.log10(np.sum(e ** 2) / (np.sum((est - e) ** 2) + 1e-20)))


def band_energy(x: np.ndarray, lo: float, hi: float, sr: int = SR) -> float:
    spec = np.abs(np.fft.rfft(x.astype(np.float64))) ** 2
    f = np.fft.rfftfreq(len(x), 1 / sr)
    return float(spec[(f >= lo) & (f < hi)].sum())


@pytest.fixture(scope="session")
def shipped_model():
    from desktop_gan.io.modelfile import load_model
    from desktop_gan.runtime.enhancer import default_model_path

    return load_model(default_model_path(), kind="enhancer")


def _random_model(folder, **model_cfg):
    """A small untrained generator with random weights, exported through the task's path."""
    import torch

    from desktop_gan.io.modelfile import load_model, save_model
    from desktop_gan.models.enhancer import EnhancerGenerator

    torch.manual_seed(0)
    gen = EnhancerGenerator(n_bands=16, hidden=32, layers=2, **model_cfg)
    with torch.no_grad():
        for p in gen.parameters():
            p.add_(torch.randn_like(p) * 0.3)
    cfg = {"kind": "enhancer", "version": 1, "samplerate": 48000, "win": 960, "hop": 480,
           "latency_samples": 960, "model": gen.cfg, "training": {}}
    path = folder / "tiny.safetensors"
    save_model(path, gen.export_tensors(), cfg)
    tensors, config = load_model(path, kind="enhancer")
    return {"tensors": tensors, "config": config, "path": path, "generator": gen.eval()}


@pytest.fixture(scope="session")
def random_model(tmp_path_factory):
    """Band gains only (tensors, config, file, torch generator)."""
    return _random_model(tmp_path_factory.mktemp("model"))


@pytest.fixture(scope="session")
def random_fine_model(tmp_path_factory):
    """Band gains plus the per-bin low-band head (40 bins), its last layer randomised too."""
    return _random_model(tmp_path_factory.mktemp("fine_model"), fine_bins=40, fine_hidden=24)
