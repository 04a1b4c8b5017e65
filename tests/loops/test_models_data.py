"""Drum GAN, pattern GAN, corpus, drum data renderer and the DrumsTask: shapes, determinism, contracts."""

import json
import shutil
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import torch

from desktop_gan.core.params import DRUM_KINDS, PATTERN_STYLES
from desktop_gan.models.drums import (N_SAMPLES, DrumDiscriminator, DrumGenerator, d_loss, g_loss, generate,
                                      mode_seeking, random_phase)
from desktop_gan.models.patterns import HIT_THRESHOLD, sample_pattern
from desktop_gan.training.pattern_corpus import CORPUS, corpus_json, load_corpus

ROOT = Path(__file__).resolve().parents[2]


def test_generator_shapes_and_determinism(tiny_models):
    drums, _ = tiny_models
    z = torch.randn(3, drums.latent, generator=torch.Generator().manual_seed(0))
    k = torch.tensor([0, 3, 7])
    a = generate(drums, z, k, [1, 2, 3])
    b = generate(drums, z, k, [1, 2, 3])
    c = generate(drums, z, k, [1, 2, 4])
    assert a.shape == (3, N_SAMPLES) and torch.equal(a, b)
    assert torch.equal(a[:2], c[:2]) and not torch.equal(a[2], c[2])  # the noise seed is per sound
    assert float(a.abs().max()) <= 0.9 + 1e-6


def test_losses_backpropagate():
    torch.manual_seed(0)
    g, d = DrumGenerator(latent=8, channels=8), DrumDiscriminator()
    kind = torch.tensor([1, 5])
    fake = g(torch.randn(2, 8), kind, random_phase(2))
    real = torch.randn(2, N_SAMPLES) * 0.1
    ld, parts = d_loss(d, real, fake, kind)
    ld.backward()
    assert set(parts) == {"d_adv", "d_aux"} and next(d.parameters()).grad is not None
    lg, parts = g_loss(d, real, fake, kind)
    lg.backward()
    assert set(parts) == {"g_adv", "g_aux", "g_fm"} and g.inp.weight.grad is not None


def test_corpus_file_matches_source_and_covers_styles():
    shipped = json.loads((ROOT / "resources" / "patterns" / "corpus.json").read_text())
    assert shipped == json.loads(json.dumps(corpus_json()))
    vel, off, styles = load_corpus(ROOT / "resources" / "patterns" / "corpus.json")
    assert vel.shape[1:] == (len(DRUM_KINDS), 16) and len(vel) == len(CORPUS)
    for s in range(len(PATTERN_STYLES)):
        assert (styles == s).sum() >= 6
    assert all(item["source"] for item in shipped["patterns"])
    assert np.all(np.abs(off) < 0.5)


def test_pattern_sampling(tiny_models):
    _, pat = tiny_models
    z = np.random.default_rng(0).standard_normal(pat.latent)
    v, o = sample_pattern(pat, "rock", z, 4, fill_seed=1)
    v2, _ = sample_pattern(pat, "rock", z, 4, fill_seed=1)
    assert v.shape == o.shape == (len(DRUM_KINDS), 64)
    np.testing.assert_array_equal(v, v2)
    np.testing.assert_array_equal(v[:, :16], v[:, 16:32])  # the main bar repeats
    assert np.all((v == 0) | (v >= HIT_THRESHOLD)) and np.all(o[v == 0] == 0)
    with pytest.raises(ValueError):
        sample_pattern(pat, "polka", z, 1)


def test_mode_seeking_term():
    torch.manual_seed(0)
    z = torch.randn(4, 8)
    kind = torch.tensor([2, 2, 5, 6])  # one same-kind pair: (0, 1)
    mel = torch.randn(4, 10, 12)
    far = mel.clone()
    far[1] += 3.0
    near = mel.clone()
    near[1] = near[0] + 0.01
    assert float(mode_seeking(far, z, kind)) < float(mode_seeking(mel, z, kind)) < float(mode_seeking(near, z, kind))
    assert float(mode_seeking(mel, z, torch.tensor([0, 1, 2, 3]))) == 0.0  # no pair of one kind
    # only the same-kind pair counts: other rows do not change it
    other = mel.clone()
    other[2:] += 5.0
    assert torch.allclose(mode_seeking(other, z, kind), mode_seeking(mel, z, kind))
    # in g_loss: logged, reaches the generator, needs z
    g, d = DrumGenerator(latent=8, channels=8), DrumDiscriminator()
    kind = torch.tensor([1, 1, 5])
    zg = torch.randn(3, 8)
    fake = g(zg, kind, random_phase(3))
    real = torch.randn(3, N_SAMPLES) * 0.1
    lg, parts = g_loss(d, real, fake, kind, ms_weight=1.0, z=zg)
    assert "g_mode_seeking" in parts and parts["g_mode_seeking"] > 0
    lg.backward()
    assert g.inp.weight.grad is not None and torch.isfinite(g.inp.weight.grad).all()
    with pytest.raises(ValueError):
        g_loss(d, real, fake.detach(), kind, ms_weight=1.0)


def test_drums_task_steps_eval_export(tmp_path):
    from desktop_gan.io.modelfile import load_model
    from desktop_gan.training.drums_task import DrumsTask

    rng = np.random.default_rng(0)
    for kind in DRUM_KINDS:
        (tmp_path / "d" / kind).mkdir(parents=True)
        for i in range(4):
            x = rng.standard_normal(4800) * np.exp(-np.arange(4800) / 800)
            sf.write(tmp_path / "d" / kind / f"{i}.wav", (0.5 * x).astype(np.float32), 44100)
    task = DrumsTask(data_dir=tmp_path / "d", batch=2, model={"latent": 8, "channels": 8})
    mods = task.build("cpu")
    opts = task.optimisers(mods)
    batch = next(task.batches(0, 1, 0))
    assert batch["real"].shape == (2, N_SAMPLES)
    ld, _ = task.d_step(mods, batch, "cpu")
    ld.backward()
    opts["discriminator"].step()
    lg, _ = task.g_step(mods, batch, "cpu")
    lg.backward()
    opts["generator"].step()
    res = task.evaluate(mods, "cpu")
    assert "mel_l1" in res.metrics and res.previews
    task.export(mods, tmp_path / "drums.safetensors", {"steps": 1})
    _, cfg = load_model(tmp_path / "drums.safetensors", "drums")
    assert cfg["kinds"] == list(DRUM_KINDS) and cfg["samplerate"] == 48000 and cfg["training"]["steps"] == 1


@pytest.mark.skipif(not shutil.which("fluidsynth") or not shutil.which("sox")
                    or not Path("/usr/share/sounds/sf2/FluidR3_GM.sf2").exists(), reason="needs fluidsynth, sox, FluidR3")
def test_drum_data_renders_a_kit(tmp_path):
    from desktop_gan.training.drum_data import Kit, build, read_presets

    sf2 = Path("/usr/share/sounds/sf2/FluidR3_GM.sf2")
    presets = read_presets(sf2)
    assert (128, 25, "TR-808") in presets
    kit = Kit(sf2, 128, 25, "TR-808", heldout=False)
    m1 = build(tmp_path / "a", variants=1, seed=3, kits=[kit], log=lambda *_: None)
    assert set(m1["counts"]["train"]) >= {"kick", "snare", "clap", "closed-hat", "cymbal"}
    f = sorted((tmp_path / "a" / "drums" / "kick").glob("*_a0.wav"))[0]
    x, sr = sf.read(f)
    assert sr == 48000 and len(x) <= 72000 and np.max(np.abs(x)) > 0.01
    build(tmp_path / "b", variants=1, seed=3, kits=[kit], log=lambda *_: None)
    y, _ = sf.read(tmp_path / "b" / "drums" / "kick" / f.name)
    np.testing.assert_array_equal(x, y)  # seeded: the same variants again
