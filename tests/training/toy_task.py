"""A tiny GanTask for the trainer's tests: a 1-D GAN learning 256-sample sine waves (8 kHz).

Small enough that a step takes about a millisecond on one CPU thread; deterministic given the
trainer's seeding. ``data_dir`` (optional) is a folder of WAVs whose files replace the sines.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch
from torch import nn

from desktop_gan.training.task import EvalResult, Preview

N = 256
SR = 8000


class ToyTask:
    name = "toy"
    last = {}  # test hook: the modules and first batch of the latest build in this process
    data_args = [("data_dir", "--data", "Toy data folder")]

    def __init__(self, data_dir=None, from_model=None, batch=16, lr=2e-3, latent=8, hidden=64, sched=False,
                 nan_at=None, step_sleep=0.0, files=None, bypass_ddp=False) -> None:
        self.cfg = {"batch": batch, "lr": lr, "latent": latent, "hidden": hidden, "sched": sched}
        self.data_dir = Path(data_dir) if data_dir else None
        self.from_model = from_model
        self.nan_at = nan_at
        self.step_sleep = float(step_sleep)
        self.files = files
        self.bypass_ddp = bypass_ddp  # test hook: call the discriminator past its DDP wrapper
        self._calls = 0

    def config(self) -> dict:
        return {**self.cfg, "data_dir": str(self.data_dir or "")}

    def build(self, device):
        h, z = self.cfg["hidden"], self.cfg["latent"]
        gen = nn.Sequential(nn.Linear(z, h), nn.LeakyReLU(0.2), nn.Linear(h, N), nn.Tanh())
        disc = nn.Sequential(nn.Linear(N, h), nn.LeakyReLU(0.2), nn.Dropout(0.1), nn.Linear(h, 1))
        if self.from_model:
            from desktop_gan.io.modelfile import load_model

            tensors, _ = load_model(self.from_model, "toy")
            gen.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
        modules = {"generator": gen.to(device), "discriminator": disc.to(device)}
        ToyTask.last = {"modules": modules}
        return modules

    def optimisers(self, modules):
        g = torch.optim.Adam(modules["generator"].parameters(), self.cfg["lr"], betas=(0.5, 0.9))
        d = torch.optim.Adam(modules["discriminator"].parameters(), self.cfg["lr"], betas=(0.5, 0.9))
        out = {"generator": g, "discriminator": d}
        if self.cfg["sched"]:
            out["generator_sched"] = torch.optim.lr_scheduler.StepLR(g, 3, 0.9)
        return out

    def _real(self, rng, b):
        t = np.arange(N) / SR
        f = rng.uniform(200, 800, (b, 1))
        ph = rng.uniform(0, 2 * np.pi, (b, 1))
        return (0.8 * np.sin(2 * np.pi * f * t + ph)).astype(np.float32)

    def batches(self, rank, world, seed):
        rng = np.random.default_rng([seed, rank, world])
        b = self.cfg["batch"]
        while True:
            ToyTask.last.setdefault("first_real", None)
            batch = {"real": torch.from_numpy(self._real(rng, b)), "z": torch.from_numpy(
                rng.standard_normal((b, self.cfg["latent"])).astype(np.float32))}
            if ToyTask.last["first_real"] is None:
                ToyTask.last["first_real"] = batch["real"].numpy().copy()
            yield batch

    def d_step(self, modules, batch, device):
        import time

        if self.step_sleep:
            time.sleep(self.step_sleep)
        self._calls += 1
        gen, disc = modules["generator"], modules["discriminator"]
        if self.bypass_ddp:
            disc = getattr(disc, "module", disc)
        fake = gen(batch["z"].to(device)).detach()
        loss = torch.relu(1 - disc(batch["real"].to(device))).mean() + torch.relu(1 + disc(fake)).mean()
        if self.nan_at is not None and self._calls >= self.nan_at:
            loss = loss * float("nan")
        return loss, {"hinge": float(loss.detach())}

    def g_step(self, modules, batch, device):
        gen, disc = modules["generator"], modules["discriminator"]
        fake = gen(batch["z"].to(device))
        adv = -disc(fake).mean()
        rec = (torch.fft.rfft(fake).abs().mean(0) - torch.fft.rfft(batch["real"].to(device)).abs().mean(0)).abs().mean()
        loss = adv + 0.1 * rec
        return loss, {"adv": float(adv.detach()), "rec": float(rec.detach())}

    def evaluate(self, modules, device):
        gen = getattr(modules["generator"], "module", modules["generator"])
        g = torch.Generator().manual_seed(0)
        with torch.no_grad():
            fake = gen(torch.randn(32, self.cfg["latent"], generator=g).to(device)).cpu()
        real = torch.from_numpy(self._real(np.random.default_rng(0), 32))
        dist = float((torch.fft.rfft(fake).abs().mean(0) - torch.fft.rfft(real).abs().mean(0)).abs().mean())
        return EvalResult({"spec_l1": dist}, [Preview("fake", fake[0].numpy(), SR)])

    def export(self, modules, path, record):
        from desktop_gan.io.modelfile import save_model

        gen = getattr(modules["generator"], "module", modules["generator"])
        tensors = {k: v.detach().cpu().numpy() for k, v in gen.state_dict().items()}
        save_model(path, tensors, {"kind": "toy", "version": 1, "samplerate": SR, "training": record})


class FolderToyTask(ToyTask):
    """Like ToyTask but reads only a folder (no ``files`` argument), as the enhancer and drums do."""

    def __init__(self, data_dir=None, **kwargs) -> None:
        super().__init__(data_dir=data_dir, **kwargs)
