"""Training data synthesis (seeded, full band) and the GanTask driving one step end to end."""

from __future__ import annotations

import json
import shutil

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.training import speech_data as sd
from desktop_gan.training.enhancer_task import EnhancerTask, _crop, cosine_decay, mix, speed_crop

from .conftest import band_energy, si_sdr


def test_exciter_makes_band_limited_speech_full_band():
    rng = np.random.default_rng(0)
    t = np.arange(48000) / 48000
    voiced = sum(np.sin(2 * np.pi * 150 * k * t) / k for k in range(1, 48))  # up to 7.2 kHz only
    x = (voiced * (1 + np.sin(2 * np.pi * 3 * t))).astype(np.float32) * 0.1
    y = sd.exciter(x, band_top=7200.0, rng=rng)
    assert band_energy(x, 8500, 24000) < 1e-9 * band_energy(x, 0, 24000)
    assert band_energy(y, 8500, 24000) > 1e-4 * band_energy(y, 0, 24000)
    assert si_sdr(y, x) > 15  # the speech itself is untouched


def test_noises_are_seeded_and_distinct():
    a = sd.make_noise("hum", 48000, np.random.default_rng(1), [], None)
    b = sd.make_noise("hum", 48000, np.random.default_rng(1), [], None)
    np.testing.assert_array_equal(a, b)
    pink, brown = (sd.coloured(48000, np.random.default_rng(2), e) for e in (1.0, 2.0))
    assert band_energy(brown, 0, 500) / band_energy(brown, 0, 24000) > band_energy(pink, 0, 500) / band_energy(pink, 0, 24000)
    keys = sd.make_noise("keyboard", 48000, np.random.default_rng(3), [], None)
    assert np.max(np.abs(keys)) > 10 * np.median(np.abs(keys))  # transients, not a steady hiss


def test_midi_writer_and_held_out_voices():
    midi = sd._midi_file(np.random.default_rng(0), 4.0)
    assert midi[:4] == b"MThd" and b"MTrk" in midi and midi.endswith(b"\xff\x2f\x00")
    names = [v for _, v in sd.available_voices()]
    assert not any(v in ("slt", "rms") or v.endswith(("+f4", "+m6")) for v in names)


def test_mix_hits_the_requested_snr():
    rng = np.random.default_rng(4)
    clean = [np.sin(np.arange(48000) * 0.05).astype(np.float32)]
    noises = [rng.standard_normal(48000).astype(np.float32)]
    cfg = {"reverb_prob": 0.0, "clean_prob": 0.0, "snr_db": (5.0, 5.0), "level_db": (-20.0, -20.0)}
    noisy, target = mix(clean, noises, None, 24000, rng, cfg)
    snr = 10 * np.log10(np.mean(target ** 2) / np.mean((noisy - target) ** 2))
    assert abs(snr - 5.0) < 0.5
    assert abs(10 * np.log10(np.mean(target ** 2)) + 20.0) < 0.5


def test_task_steps_export_and_runtime_load(tmp_path):
    import torch

    from desktop_gan.runtime.enhancer import StreamingEnhancer

    torch.set_num_threads(1)
    for sub in ("clean", "noise"):
        (tmp_path / sub).mkdir()
    rng = np.random.default_rng(5)
    for i in range(3):
        sf.write(tmp_path / "clean" / f"{i}.wav", np.sin(np.arange(32000) * (0.02 + 0.01 * i)) * 0.3, 16000)
        sf.write(tmp_path / "noise" / f"{i}.wav", rng.standard_normal(48000) * 0.1, 48000)
    task = EnhancerTask(clean_dir=tmp_path / "clean", noise_dir=tmp_path / "noise", batch=2, segment_s=0.5,
                        val_items=2, val_seconds=0.5, model={"hidden": 16, "n_bands": 12, "fine_bins": 0})
    mods = task.build("cpu")
    opts = task.optimisers(mods)
    batch = next(task.batches(0, 1, 0))
    assert batch[0].shape == (2, 24000)
    d, _ = task.d_step(mods, batch, "cpu")
    opts["discriminator"].zero_grad(); d.backward(); opts["discriminator"].step()
    g, logs = task.g_step(mods, batch, "cpu")
    opts["generator"].zero_grad(); g.backward(); opts["generator"].step()
    assert {"stft", "adv", "fm"} <= set(logs) and np.isfinite(logs["g"])
    res = task.evaluate(mods, "cpu")
    assert "si_sdr_delta" in res.metrics and res.previews
    task.export(mods, tmp_path / "m.safetensors", {"steps": 1})
    enh = StreamingEnhancer(tmp_path / "m.safetensors")
    assert enh.process(np.zeros(480, np.float32)).shape == (480,)
    ablation = EnhancerTask(clean_dir=tmp_path / "clean", noise_dir=tmp_path / "noise", adversarial=False,
                            batch=2, segment_s=0.5, model={"hidden": 16, "n_bands": 12})
    mods = ablation.build("cpu")
    g, logs = ablation.g_step(mods, next(ablation.batches(0, 1, 0)), "cpu")
    assert set(logs) == {"stft", "mag", "mask", "g"}
    # fine-tuning: the band-only export grows the fine low-band head; a model of another size is refused
    grown = EnhancerTask(clean_dir=tmp_path / "clean", noise_dir=tmp_path / "noise", from_model=tmp_path / "m.safetensors",
                         model={"hidden": 16, "n_bands": 12, "fine_bins": 32})
    gen = grown.build("cpu")["generator"]
    assert gen.fine == 32 and not gen.fine_out.weight.any()
    grown.export({"generator": gen}, tmp_path / "grown.safetensors", {"steps": 0, "val": {}})
    lineage = json.loads((tmp_path / "grown.json").read_text())["training"]["fine_tuned_from"]
    assert lineage["file"] == "m.safetensors" and lineage["training"]["steps"] == 1  # the parent's own record
    again = EnhancerTask(clean_dir=tmp_path / "clean", noise_dir=tmp_path / "noise",
                         from_model=tmp_path / "grown.safetensors")  # settings come from the model itself
    assert again.build("cpu")["generator"].fine == 32 and again.config()["model"]["hidden"] == 16
    wrong = EnhancerTask(clean_dir=tmp_path / "clean", noise_dir=tmp_path / "noise", from_model=tmp_path / "m.safetensors",
                         model={"hidden": 24, "n_bands": 12})
    with pytest.raises(ValueError, match="m.safetensors: its weights do not fit"):
        wrong.build("cpu")


def test_generator_learning_rate_decays_when_asked():
    assert cosine_decay(0, 100) == 1.0 and cosine_decay(100, 100) == pytest.approx(0.01)
    assert cosine_decay(50, 100) == pytest.approx(0.505) and cosine_decay(500, 100) == pytest.approx(0.01)
    plain = EnhancerTask(model={"hidden": 16, "n_bands": 12})
    assert "generator_schedule" not in plain.optimisers(plain.build("cpu"))
    task = EnhancerTask(lr_g=1e-3, lr_decay_steps=4, model={"hidden": 16, "n_bands": 12})
    opts = task.optimisers(task.build("cpu"))
    lrs = []
    for _ in range(6):
        lrs.append(opts["generator"].param_groups[0]["lr"])
        opts["generator"].step()
        opts["generator_schedule"].step()
    assert lrs[0] == pytest.approx(1e-3) and lrs[2] == pytest.approx(5.05e-4) and lrs[4:] == pytest.approx([1e-5, 1e-5])
    assert opts["discriminator"].param_groups[0]["lr"] == pytest.approx(task.cfg["lr_d"])  # only the generator's


@pytest.mark.skipif(not (shutil.which("espeak-ng") or shutil.which("flite")), reason="no speech synthesiser")
def test_generate_is_seeded_and_full_band(tmp_path):
    a = sd.generate(tmp_path / "a", minutes=0.04, noise_minutes=0.07, seed=3, rooms=2, log=lambda *_: None)
    sd.generate(tmp_path / "b", minutes=0.04, noise_minutes=0.07, seed=3, rooms=2, log=lambda *_: None)
    files = sorted(p.relative_to(tmp_path / "a") for p in (tmp_path / "a").rglob("*.wav"))
    assert a["utterances"] >= 1 and a["noise_clips"] >= 1 and a["seed"] == 3
    for rel in files:
        assert (tmp_path / "a" / rel).read_bytes() == (tmp_path / "b" / rel).read_bytes()
    speech, rate = sf.read(tmp_path / "a" / "clean" / "00000.wav")
    assert rate == 48000
    assert band_energy(speech, 9000, 24000) > 1e-5 * band_energy(speech, 0, 24000)
    assert np.load(tmp_path / "a" / "rirs" / "rirs.npy").shape == (2, 48000)


@pytest.mark.skipif(not shutil.which("flite"), reason="flite missing")
def test_generate_can_keep_only_some_engines(tmp_path):
    recipe = sd.generate(tmp_path, minutes=0.02, noise_minutes=0.01, seed=5, rooms=1, log=lambda *_: None,
                         engines=("flite",))
    assert recipe["engines"] == ["flite"] and recipe["voices"]
    assert all(v.startswith("flite:") for v in recipe["voices"])
    with pytest.raises(RuntimeError, match="no speech synthesiser"):
        sd.generate(tmp_path / "none", minutes=0.02, engines=("no-such-engine",), log=lambda *_: None)


def test_speed_crop_shifts_pitch_by_the_factor_and_keeps_the_length():
    sr = 48000
    x = np.sin(2 * np.pi * 200 * np.arange(3 * sr) / sr).astype(np.float32)
    for factor, expect in ((0.85, 170.0), (1.2, 240.0)):
        y = speed_crop(x, sr, factor, np.random.default_rng(0))
        spectrum = np.abs(np.fft.rfft(y * np.hanning(sr)))
        assert len(y) == sr and np.argmax(spectrum) == pytest.approx(expect, abs=1)  # 1 Hz bins
        assert 10 * np.log10(np.mean(y ** 2) / np.mean(x ** 2)) == pytest.approx(0.0, abs=0.2)
    a = speed_crop(x, sr, 1.0, np.random.default_rng(3))
    b = _crop(x, sr, np.random.default_rng(3))
    assert np.array_equal(a, b)  # factor 1: the plain crop, no filtering


def test_mix_speed_perturbation_only_when_asked():
    rng_a, rng_b = np.random.default_rng(8), np.random.default_rng(8)
    clean = [np.sin(np.arange(96000) * 0.05).astype(np.float32)]
    noises = [np.random.default_rng(1).standard_normal(48000).astype(np.float32)]
    cfg = {"reverb_prob": 0.0, "clean_prob": 1.0, "snr_db": (5.0, 5.0), "level_db": (-20.0, -20.0)}
    plain = mix(clean, noises, None, 24000, rng_a, cfg)[1]
    fast = mix(clean, noises, None, 24000, rng_b, {**cfg, "speed_prob": 1.0, "speed_range": (1.2, 1.2)})[1]
    peak = [np.argmax(np.abs(np.fft.rfft(t))) for t in (plain, fast)]
    assert peak[1] == pytest.approx(1.2 * peak[0], rel=0.02)


def test_voice_draws_balance_the_engines():
    voices = [("espeak", f"en+v{i}") for i in range(95)] + [("flite", "kal"), ("festival", "voice_czech_ph")]
    rng = np.random.default_rng(0)
    engines = [sd.pick_voice(voices, rng)[0] for _ in range(3000)]
    for engine in ("espeak", "flite", "festival"):
        assert abs(engines.count(engine) / 3000 - 1 / 3) < 0.05


def _voiced(seconds: float, seed: int) -> np.ndarray:
    """Speech-like test signal at 48 kHz: a gliding harmonic voice, syllables switched on and off."""
    t = np.arange(int(seconds * 48000)) / 48000
    f0 = 140 + 30 * np.sin(2 * np.pi * 0.7 * t + seed)
    phase = 2 * np.pi * np.cumsum(f0) / 48000
    x = sum(np.sin(k * phase) / k for k in range(1, 30))
    return (0.1 * x * (np.sin(2 * np.pi * 3 * t) > -0.3)).astype(np.float32)


def test_pesq_scores_are_the_metric_discriminators_targets():
    import torch

    from desktop_gan.training.enhancer_task import pesq_scores

    clean = torch.from_numpy(np.stack([_voiced(1.0, 0), _voiced(1.0, 1), np.zeros(48000, np.float32)]))
    noise = torch.from_numpy(np.random.default_rng(0).standard_normal(clean.shape).astype(np.float32)) * 0.05
    same, noisy = pesq_scores(clean, clean), pesq_scores(clean + noise, clean)
    assert torch.all(same[:2] > 0.95) and torch.all(noisy[:2] < same[:2] - 0.3)
    assert torch.isnan(same[2])  # PESQ refuses silence: that item is left out of the loss


def test_metric_discriminator_term_trains_and_the_ablation_has_none(tmp_path):
    import torch

    from desktop_gan.models.enhancer import MetricDiscriminator, metric_d_loss

    torch.manual_seed(0)
    disc = MetricDiscriminator()
    opt = torch.optim.Adam(disc.parameters(), 2e-3)
    clean = torch.from_numpy(np.stack([_voiced(0.5, 0), _voiced(0.5, 1)]))
    noisy = clean + 0.05 * torch.randn_like(clean)
    pairs = [(clean, clean, torch.ones(2)), (noisy, clean, torch.full((2,), 0.2)),
             (noisy, clean, torch.tensor([float("nan"), 0.2]))]  # an unmeasured item is skipped
    for _ in range(60):
        opt.zero_grad()
        metric_d_loss(disc, pairs).backward()
        opt.step()
    with torch.no_grad():
        assert disc(clean, clean).min() > disc(noisy, clean).max() + 0.3

    for sub in ("clean", "noise"):
        (tmp_path / sub).mkdir()
    for i in range(2):
        sf.write(tmp_path / "clean" / f"{i}.wav", _voiced(1.5, i), 48000)
        sf.write(tmp_path / "noise" / f"{i}.wav", np.random.default_rng(i).standard_normal(48000) * 0.1, 48000)
    kw = dict(clean_dir=tmp_path / "clean", noise_dir=tmp_path / "noise", batch=2, segment_s=1.0, clean_prob=0.0,
              model={"hidden": 16, "n_bands": 12}, lambda_metric=1.0, metric_warmup=0)
    task = EnhancerTask(**kw)
    mods = task.build("cpu")
    opts = task.optimisers(mods)
    assert "metric" in mods and "discriminator_metric" in opts
    batch = next(task.batches(0, 1, 0))
    d, d_logs = task.d_step(mods, batch, "cpu")
    g, g_logs = task.g_step(mods, batch, "cpu")
    assert np.isfinite(d_logs["d_metric"]) and np.isfinite(g_logs["metric"])
    g.backward()
    assert mods["generator"].out.weight.grad.abs().sum() > 0
    ablation = EnhancerTask(**{**kw, "adversarial": False})
    mods = ablation.build("cpu")
    assert "metric" not in mods and "discriminator_metric" not in ablation.optimisers(mods)
