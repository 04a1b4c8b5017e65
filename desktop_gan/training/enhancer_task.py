"""GanTask for the speech enhancer: data mixing on the fly, GAN + reconstruction steps, eval, export.

Clean speech, noises and rooms come from ``speech_data`` (``generated_data_dir()/enhancer`` by
default: ``data/`` in a checkout, generated on first use) or from the user's folders
(``clean_dir``/``noise_dir``: any audio files, resampled to 48 kHz). Each batch mixes random 1 s
speech crops (random level, early-reverb target when a room is applied) with one or two noise crops
at an SNR drawn from ``snr_db``; a fraction stays clean so the model learns to leave clean speech
alone. The last 5 % of the files are kept for validation.

Generator loss: multi-resolution STFT + compressed spectral MSE + a band-mask term (the gains
against the ideal ratio mask per ERB band, under-estimates weighted ``mask_under_weight`` times,
which keeps clean speech intact) + LSGAN adversarial + feature matching, and, with
``lambda_metric`` > 0, a MetricGAN-style term: a metric discriminator learns the PESQ-WB of outputs,
noisy inputs and clean speech (measured with the ``pesq`` package each step) and the generator is
pushed towards clean speech's score; it starts after ``metric_warmup`` steps of this process (the
discriminator first learns what to say). ``adversarial=False`` trains the same generator without
any discriminator (the ablation). ``lr_decay_steps`` > 0 lowers the generator's learning rate along
half a cosine to 1 % over that many steps (fine-tunes that should settle rather than wander).
``speed_prob`` > 0 plays that fraction of the speech crops at a speed drawn from ``speed_range``
(pitch and formants shift together: more speakers from the same voices; validation items never).
"""

from __future__ import annotations

import json
import time
from functools import partial
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from desktop_gan.io.paths import generated_data_dir
from desktop_gan.training.task import EvalResult, Preview

SR = 48000
CONFIG = {
    "segment_s": 1.0, "batch": 8, "lr_g": 1e-3, "lr_d": 2e-4, "betas": (0.8, 0.99), "lr_decay_steps": 0,
    "adversarial": True, "d_crop_s": 0.5, "lambda_adv": 0.05, "lambda_fm": 0.2,
    "lambda_stft": 1.0, "lambda_mag": 10.0, "lambda_mask": 5.0, "mask_under_weight": 4.0,
    "lambda_metric": 0.0, "metric_warmup": 200, "lr_metric": 5e-4,
    "snr_db": (-5.0, 20.0), "clean_prob": 0.25, "reverb_prob": 0.2, "level_db": (-38.0, -14.0),
    "speed_prob": 0.0, "speed_range": (0.85, 1.2),
    "val_items": 16, "val_seconds": 3.0, "data_seed": 0,
    # the shipped model's architecture (stop 19); a fine-tune (``from_model``) takes its model's own instead
    "model": {"samplerate": SR, "win": 960, "hop": 480, "n_bands": 40, "hidden": 256, "layers": 2,
              "fine_bins": 96, "fine_hidden": 128},
}
MODEL_VERSION = 1


def _default_data() -> Path:
    """The project's own generated speech/noise set (``io.paths.generated_data_dir``)."""
    return generated_data_dir() / "enhancer"


def _load_dir(folder: Path) -> list[np.ndarray]:
    import soundfile as sf

    from desktop_gan.training.speech_data import resample

    out = []
    files = sorted(p for p in folder.rglob("*") if p.suffix.lower() in (".wav", ".flac", ".ogg", ".mp3"))
    for p in files:
        x, sr = sf.read(str(p), dtype="float32", always_2d=True)
        x = resample(x.mean(axis=1), int(sr))
        if len(x) > SR // 4:
            out.append(x)
    return out


def _crop(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    if len(x) <= n:
        out = np.zeros(n, np.float32)
        off = int(rng.integers(0, n - len(x) + 1))
        out[off:off + len(x)] = x
        return out
    off = int(rng.integers(0, len(x) - n))
    return x[off:off + n]


def _loop_crop(x: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    reps = int(np.ceil((n + 1) / len(x))) + 1
    return _crop(np.tile(x, reps), n, rng)


def _rms_db(x: np.ndarray) -> float:
    return 10 * np.log10(np.mean(x.astype(np.float64) ** 2) + 1e-12)


SPEED_STEP = 20  # speed factors are multiples of 1/20: resample_poly(up=20, down=20 * factor)


def speed_crop(x: np.ndarray, n: int, factor: float, rng: np.random.Generator) -> np.ndarray:
    """``n`` samples of ``x`` played ``factor`` times faster: pitch and formants move by ``factor``
    together (a shorter or longer vocal tract, Kaldi-style speed perturbation), so a few recorded
    voices stand for more speakers. ``factor`` is rounded to a multiple of 1/20."""
    from scipy.signal import resample_poly

    down = max(1, round(factor * SPEED_STEP))
    if down == SPEED_STEP:
        return _crop(x, n, rng)
    m = int(np.ceil(n * down / SPEED_STEP)) + 64  # source samples for n output samples, plus filter edge
    y = resample_poly(_crop(x, m, rng).astype(np.float64), SPEED_STEP, down)
    return y[:n] if len(y) >= n else np.pad(y, (0, n - len(y)))


def mix(clean: list, noises: list, rirs: np.ndarray | None, n: int, rng: np.random.Generator,
        cfg: dict) -> tuple[np.ndarray, np.ndarray]:
    """One (noisy, target) pair of ``n`` samples."""
    from scipy.signal import fftconvolve

    x = clean[int(rng.integers(len(clean)))]
    if cfg.get("speed_prob", 0.0) > 0 and rng.random() < cfg["speed_prob"]:
        lo, hi = cfg["speed_range"]
        s = speed_crop(x, n, lo + rng.random() * (hi - lo), rng).astype(np.float64)
    else:
        s = _crop(x, n, rng).astype(np.float64)
    target, wet = s, s
    if rirs is not None and len(rirs) and rng.random() < cfg["reverb_prob"]:
        h = rirs[int(rng.integers(len(rirs)))]
        peak = int(np.argmax(np.abs(h)))
        early = h.copy()
        cut = peak + int(0.05 * SR)
        early[cut:] = 0
        early[cut - 240:cut] *= np.linspace(1, 0, 240)
        wet = fftconvolve(s, h)[:n]
        target = fftconvolve(s, early)[:n]
    active = np.abs(target) > 1e-4
    level = cfg["level_db"][0] + rng.random() * (cfg["level_db"][1] - cfg["level_db"][0])
    g = 10 ** ((level - _rms_db(target[active] if active.any() else target)) / 20)
    target, wet = target * g, wet * g
    noise = np.zeros(n)
    for _ in range(1 if rng.random() < 0.7 else 2):
        noise += _loop_crop(noises[int(rng.integers(len(noises)))], n, rng) * rng.uniform(0.3, 1.0)
    if rng.random() < cfg["clean_prob"]:
        snr = 80.0
    else:
        snr = cfg["snr_db"][0] + rng.random() * (cfg["snr_db"][1] - cfg["snr_db"][0])
    speech_db = _rms_db(wet[active] if active.any() else wet)
    noise *= 10 ** ((speech_db - snr - _rms_db(noise)) / 20)
    noisy = wet + noise
    peak = np.max(np.abs(noisy))
    if peak > 0.98:
        noisy, target = noisy * 0.98 / peak, target * 0.98 / peak
    return noisy.astype(np.float32), target.astype(np.float32)


def si_sdr(est: np.ndarray, ref: np.ndarray) -> float:
    est, ref = est.astype(np.float64), ref.astype(np.float64)
    a = np.dot(est, ref) / (np.dot(ref, ref) + 1e-12)
    e = a * ref
    return float(10 * np.log10(np.sum(e ** 2) / (np.sum((est - e) ** 2) + 1e-12) + 1e-12))


class EnhancerTask:
    name = "enhancer"

    def __init__(self, clean_dir=None, noise_dir=None, from_model=None, **overrides) -> None:
        self.cfg = json.loads(json.dumps(CONFIG))
        self._parent = None  # (tensors, config) of the model fine-tuning starts from, read once
        if from_model:  # fine-tuning: the model's own settings, unless overridden below
            from desktop_gan.io.modelfile import load_model

            self._parent = load_model(from_model, kind="enhancer")
            self.cfg["model"].update(self._parent[1].get("model") or {})
        for k, v in overrides.items():
            if k == "model" and isinstance(v, dict):
                self.cfg["model"].update(v)
            elif k in self.cfg:
                self.cfg[k] = v
            else:
                raise ValueError(f"unknown enhancer setting {k!r}")
        self.clean_dir = Path(clean_dir) if clean_dir else None
        self.noise_dir = Path(noise_dir) if noise_dir else None
        self.from_model = from_model
        self._data = None
        self._cache: dict = {}
        self._val: list | None = None
        self._g_steps = 0  # generator steps taken by this process (the metric term's warm-up)

    # -- protocol ---------------------------------------------------------------------------------
    def config(self) -> dict:
        return {**self.cfg, "clean_dir": str(self.clean_dir or ""), "noise_dir": str(self.noise_dir or ""),
                "from_model": str(self.from_model or "")}

    def build(self, device) -> dict[str, Any]:
        import torch

        from desktop_gan.models.enhancer import EnhancerGenerator, MetricDiscriminator, MultiResolutionDiscriminator

        gen = EnhancerGenerator(**self.cfg["model"])
        if self._parent is not None:
            tensors = self._parent[0]
            try:
                missing, unexpected = gen.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()},
                                                          strict=False)
            except RuntimeError as exc:  # tensor sizes differ from the model settings
                raise ValueError(f"{self.from_model}: its weights do not fit the model settings "
                                 f"({str(exc).splitlines()[-1].strip()})") from None
            # a band-only model may grow the fine low-band head (it starts at zero); nothing else may differ
            if unexpected or any(not k.startswith("fine_") for k in missing):
                raise ValueError(f"{self.from_model}: its weights do not fit the model settings "
                                 f"(missing {missing[:3]}, unexpected {unexpected[:3]})")
        mods = {"generator": gen.to(device), "discriminator": MultiResolutionDiscriminator().to(device)}
        if self._metric_on():
            mods["metric"] = MetricDiscriminator(samplerate=SR).to(device)
        return mods

    def _metric_on(self) -> bool:
        return bool(self.cfg["adversarial"]) and self.cfg["lambda_metric"] > 0

    def optimisers(self, modules: dict) -> dict[str, Any]:
        import torch

        b = tuple(self.cfg["betas"])
        opts = {"generator": torch.optim.AdamW(modules["generator"].parameters(), self.cfg["lr_g"], betas=b),
                "discriminator": torch.optim.AdamW(modules["discriminator"].parameters(), self.cfg["lr_d"], betas=b)}
        if "metric" in modules:
            opts["discriminator_metric"] = torch.optim.AdamW(modules["metric"].parameters(), self.cfg["lr_metric"], betas=b)
        if self.cfg["lr_decay_steps"] > 0:
            opts["generator_schedule"] = torch.optim.lr_scheduler.LambdaLR(
                opts["generator"], partial(cosine_decay, steps=int(self.cfg["lr_decay_steps"])))
        return opts

    def _load(self) -> dict:
        if self._data is not None:
            return self._data
        recipe: dict = {}
        default = _default_data()
        if self.clean_dir is None or self.noise_dir is None:
            if not (default / "recipe.json").exists():
                from desktop_gan.training.speech_data import generate

                generate(default, minutes=10.0, seed=self.cfg["data_seed"])
            recipe = json.loads((default / "recipe.json").read_text())
        clean = _load_dir(self.clean_dir or default / "clean")
        noises = _load_dir(self.noise_dir or default / "noise")
        if not clean or not noises:
            raise RuntimeError("no usable clean speech or noise files found for the enhancer")
        rir_file = default / "rirs" / "rirs.npy"
        rirs = np.load(rir_file) if rir_file.exists() else None
        nc, nn_ = max(1, len(clean) // 20), max(1, len(noises) // 20)
        self._data = {"train": (clean[:-nc] or clean, noises[:-nn_] or noises), "val": (clean[-nc:], noises[-nn_:]),
                      "rirs": rirs, "recipe": recipe}
        return self._data

    def batches(self, rank: int, world: int, seed: int) -> Iterator[Any]:
        import torch

        data = self._load()
        clean, noises = data["train"]
        rng = np.random.default_rng([seed, rank, world])
        n = int(self.cfg["segment_s"] * SR)
        while True:
            pairs = [mix(clean, noises, data["rirs"], n, rng, self.cfg) for _ in range(self.cfg["batch"])]
            yield (torch.from_numpy(np.stack([p[0] for p in pairs])), torch.from_numpy(np.stack([p[1] for p in pairs])))

    def _generate(self, modules, batch, device):
        key = id(batch)
        if self._cache.get("key") == key:
            return self._cache["out"]
        noisy, clean = (t.to(device) for t in batch)
        y, gains = modules["generator"](noisy)
        out = (y, clean[:, : y.shape[1]], gains, noisy, clean)
        self._cache = {"key": key, "out": out}
        return out

    def _crop_pair(self, y, t):
        import torch

        n = int(self.cfg["d_crop_s"] * SR)
        off = int(torch.randint(0, max(1, y.shape[1] - n), ()))  # torch RNG: seeded by the trainer
        return y[:, off:off + n], t[:, off:off + n]

    def d_step(self, modules: dict, batch, device):
        import torch

        from desktop_gan.models.enhancer import d_loss

        if not self.cfg["adversarial"]:
            return torch.zeros((), device=device, requires_grad=True), {"d": 0.0}
        y, t = self._generate(modules, batch, device)[:2]
        yc, tc = self._crop_pair(y.detach(), t)
        disc = modules["discriminator"]
        loss = d_loss(disc(tc), disc(yc))
        logs = {"d": float(loss.detach())}
        if "metric" in modules:
            from desktop_gan.models.enhancer import metric_d_loss

            noisy = self._generate(modules, batch, device)[3][:, :y.shape[1]]
            pairs = [(a, t, pesq_scores(a, t)) for a in (y.detach(), noisy)]
            pairs.append((t, t, torch.ones(len(t), device=t.device)))
            metric = metric_d_loss(modules["metric"], pairs)
            loss = loss + metric
            logs["d_metric"] = float(metric.detach())
        return loss, logs

    def g_step(self, modules: dict, batch, device):
        from desktop_gan.models.enhancer import (compressed_mag_loss, feature_matching_loss, g_adv_loss,
                                                 multi_res_stft_loss)

        y, t, gains, noisy, clean = self._generate(modules, batch, device)
        self._cache = {}
        rec, mag = multi_res_stft_loss(y, t), compressed_mag_loss(y, t)
        loss = self.cfg["lambda_stft"] * rec + self.cfg["lambda_mag"] * mag
        logs = {"stft": float(rec.detach()), "mag": float(mag.detach())}
        if self.cfg["lambda_mask"]:
            gen = getattr(modules["generator"], "module", modules["generator"])
            mask = band_mask_loss(gen, gains, noisy, clean, self.cfg["mask_under_weight"])
            loss = loss + self.cfg["lambda_mask"] * mask
            logs["mask"] = float(mask.detach())
        if self.cfg["adversarial"]:
            yc, tc = self._crop_pair(y, t)
            disc = modules["discriminator"]
            fake, real = disc(yc), disc(tc)
            adv, fm = g_adv_loss(fake), feature_matching_loss(real, fake)
            loss = loss + self.cfg["lambda_adv"] * adv + self.cfg["lambda_fm"] * fm
            logs.update(adv=float(adv.detach()), fm=float(fm.detach()))
        self._g_steps += 1
        if "metric" in modules and self._g_steps > self.cfg["metric_warmup"]:
            import torch
            import torch.nn.functional as F

            score = modules["metric"](y, t)
            metric = F.mse_loss(score, torch.ones_like(score))
            loss = loss + self.cfg["lambda_metric"] * metric
            logs["metric"] = float(metric.detach())
        logs["g"] = float(loss.detach())
        return loss, logs

    def val_set(self) -> list[tuple[np.ndarray, np.ndarray]]:
        if self._val is None:
            data = self._load()
            rng = np.random.default_rng([self.cfg["data_seed"], 99])
            cfg = {**self.cfg, "clean_prob": 0.0, "speed_prob": 0.0}  # the recorded voices as they are
            n = int(self.cfg["val_seconds"] * SR)
            self._val = [mix(*data["val"], data["rirs"], n, rng, cfg) for _ in range(self.cfg["val_items"])]
        return self._val

    def evaluate(self, modules: dict, device) -> EvalResult:
        import torch

        gen = getattr(modules["generator"], "module", modules["generator"])
        items = self.val_set()
        was_training = gen.training
        gen.eval()
        with torch.no_grad():
            noisy = torch.from_numpy(np.stack([i[0] for i in items])).to(device)
            enh = gen(noisy)[0].cpu().numpy()
            clean_out = gen(torch.from_numpy(np.stack([i[1] for i in items])).to(device))[0].cpu().numpy()
        gen.train(was_training)
        m = len(enh[0])
        metrics = evaluate_pairs([(i[0][:m], e, i[1][:m]) for i, e in zip(items, enh)])
        metrics["clean_kept_si_sdr"] = float(np.mean([si_sdr(c, i[1][:m]) for c, i in zip(clean_out, items)]))
        previews = [Preview("noisy", items[0][0], SR), Preview("enhanced", enh[0], SR), Preview("clean", items[0][1], SR)]
        return EvalResult(metrics, previews)

    def export(self, modules: dict, path, record: dict) -> None:
        from desktop_gan.io.modelfile import save_model

        gen = getattr(modules["generator"], "module", modules["generator"])
        recipe = (self._data or {}).get("recipe") or {}
        default_recipe = _default_data() / "recipe.json"
        if not recipe and (self.clean_dir is None or self.noise_dir is None) and default_recipe.exists():
            recipe = json.loads(default_recipe.read_text())
        m = self.cfg["model"]
        import platform

        import torch

        record = dict(record)
        if "val" not in record:
            record["val"] = self.evaluate(modules, next(gen.parameters()).device).metrics
        record.setdefault("hardware", f"{platform.machine()} CPU x{torch.get_num_threads()} thread(s), "
                                      f"torch {torch.__version__}")
        if self._parent is not None and "fine_tuned_from" not in record:  # its record carries its own parent
            record["fine_tuned_from"] = {"file": Path(self.from_model).name, "sha256": self._parent[1].get("sha256"),
                                         "training": self._parent[1].get("training", {})}
        config = {
            "kind": "enhancer", "version": MODEL_VERSION, "samplerate": m["samplerate"], "win": m["win"],
            "hop": m["hop"], "latency_samples": m["win"], "model": gen.cfg,
            "training": {**record, "task": self.config(), "data_recipe": recipe,
                         "exported_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())},
        }
        save_model(path, gen.export_tensors(), config)


def cosine_decay(step: int, steps: int, floor: float = 0.01) -> float:
    """The generator's learning-rate factor at ``step``: half a cosine from 1 to ``floor`` over
    ``steps``, then ``floor``."""
    t = min(step, steps) / steps
    return floor + (1.0 - floor) * 0.5 * (1.0 + np.cos(np.pi * t))


def band_mask_loss(gen, gains, noisy, clean, under_weight: float = 4.0):
    """MSE between the band gains and the ideal ratio mask sqrt(S/(S+N)) per ERB band (RNNoise's
    target), with under-estimates (speech removed) weighted ``under_weight`` times over-estimates."""
    import torch

    with torch.no_grad():
        s = gen.stft(clean).abs() ** 2 @ gen.pool.T
        n = gen.stft(noisy - clean).abs() ** 2 @ gen.pool.T
        irm = torch.sqrt(s / (s + n + 1e-10))
        silent = (s + n) < 1e-9  # nothing there: any gain is fine
    diff = gains - irm
    w = torch.where(diff < 0, under_weight, 1.0) * (~silent)
    return (w * diff ** 2).mean()


def pesq_scores(y, clean):
    """PESQ-WB of each row of ``y`` against ``clean`` (48 kHz tensors), scaled to 0..1 as the metric
    discriminator predicts it; NaN where PESQ refuses the item (e.g. no speech in it)."""
    import importlib.util

    import torch

    from desktop_gan.dsp.metrics import pesq_wb

    if importlib.util.find_spec("pesq") is None:
        raise RuntimeError("lambda_metric needs the 'pesq' package (pip install 'desktop-gan[train]')")
    out = [(pesq_wb(c, a, SR) - 1.0) / 3.5 for a, c in zip(y.detach().cpu().numpy(), clean.detach().cpu().numpy())]
    return torch.tensor(out, dtype=torch.float32, device=y.device).clamp(0, 1)


def evaluate_pairs(triples) -> dict[str, float]:
    """Mean SI-SDR and PESQ-WB (16 kHz) for (noisy, enhanced, clean) triples, and their deltas."""
    from desktop_gan.training.speech_data import resample

    sdr_in, sdr_out, pq_in, pq_out = [], [], [], []
    for noisy, enh, clean in triples:
        sdr_in.append(si_sdr(noisy, clean))
        sdr_out.append(si_sdr(enh, clean))
        try:
            from pesq import pesq

            c16, n16, e16 = (resample(a, SR, 16000) for a in (clean, noisy, enh))
            pq_in.append(pesq(16000, c16, n16, "wb"))
            pq_out.append(pesq(16000, c16, e16, "wb"))
        except Exception:  # pesq refuses silent/odd items; the SI-SDR numbers still stand
            pass
    out = {"si_sdr_in": float(np.mean(sdr_in)), "si_sdr_out": float(np.mean(sdr_out))}
    out["si_sdr_delta"] = out["si_sdr_out"] - out["si_sdr_in"]
    if pq_out:
        out.update(pesq_in=float(np.mean(pq_in)), pesq_out=float(np.mean(pq_out)))
        out["pesq_delta"] = out["pesq_out"] - out["pesq_in"]
    return out
