import numpy as np
import pytest
import torch

from desktop_gan.io.modelfile import save_model
from desktop_gan.models.drums import DrumGenerator, state_to_numpy
from desktop_gan.models.patterns import PatternGenerator
from desktop_gan.training.pattern_corpus import load_corpus


@pytest.fixture(scope="session")
def tiny_models():
    """Untrained but fixed (seeded) small generators: the loop machinery does not need good sounds."""
    torch.set_num_threads(1)
    torch.manual_seed(0)
    drums = DrumGenerator(latent=16, channels=16).eval()
    vel, off, styles = load_corpus()
    pat = PatternGenerator(latent=8, hidden=32, n_corpus=len(styles))
    pat.set_corpus(vel, off, styles)
    return drums, pat.eval()


@pytest.fixture(scope="session")
def model_files(tmp_path_factory, tiny_models):
    drums, pat = tiny_models
    d = tmp_path_factory.mktemp("models")
    save_model(d / "drums.safetensors", state_to_numpy(drums),
               {"kind": "drums", "latent": 16, "channels": 16, "samplerate": 48000, "kinds": ["kick", "snare", "clap", "closed-hat", "open-hat", "tom", "rim", "cymbal"]})
    save_model(d / "patterns.safetensors", state_to_numpy(pat),
               {"kind": "patterns", "latent": 8, "hidden": 32})
    return d / "drums.safetensors", d / "patterns.safetensors"


def click(n=4800, sr=48000, freq=3000.0):
    """A sharp sound: full-scale start, fast decay."""
    t = np.arange(n) / sr
    return (np.sin(2 * np.pi * freq * t) * np.exp(-t * 200)).astype(np.float32)


def detect_onsets(x, sr, threshold=0.05, hold_s=0.02):
    """Sample indices where |x| first rises above threshold after at least ``hold_s`` of quiet."""
    loud = np.abs(x) > threshold
    onsets, last = [], -10**9
    for i in np.nonzero(loud)[0]:
        if i - last > hold_s * sr:
            onsets.append(int(i))
        last = i
    return onsets
