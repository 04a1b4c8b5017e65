"""Class-conditional drum one-shot GAN: a tiny generator of synthesis controls + a differentiable synth.

Design (chosen to train on a CPU in under an hour and to generate 8 sounds in ~10-20 ms on one
thread):

* The generator does not write 72,000 samples. A 1-D conv stack maps ``(z, kind)`` to 288 frames
  (hop 256 = 5.3 ms at 48 kHz, 1.5 s) of synthesis controls:
  - a **noise envelope**: log-magnitudes on 64 log-spaced bands, spread onto the 513 STFT bins by
    a fixed triangular matrix and given random phases (seeded), then inverted with one iSTFT;
    this is a spectrogram GAN whose "inversion" is exact for noise-like sounds (hats, snares,
    claps, cymbals) and costs one iSTFT - no Griffin-Lim;
  - two **swept oscillators** (frequency 25 Hz-4 kHz on a log scale, amplitude) per frame,
    interpolated to the sample rate and integrated to phase: the bodies of kicks and toms, the
    ring of rims and cowbell-like sounds, which random-phase noise cannot make.
  The sound is ``noise + oscillators`` at 48 kHz natively (no resampling).
* The latent is exposed: ``generate(z, kind_ids, noise_seed)``; the same z, kind and seed give
  the same sound bit for bit; ``z`` can be moved (variation), mixed (morph) or optimised against
  a target's log-mel ("more like this", :func:`invert`).
* Two discriminators, both on log-mel spectrograms (the waveform goes through a differentiable
  mel frontend): a long one (n_fft 1024, 80 mels, the whole 1.5 s: body and decay) and a short
  one (n_fft 256, 48 mels, the first 0.3 s: the attack). Each is a small 2-D conv net with a
  projection-conditional output and an auxiliary kind classifier (AC-GAN), which keeps each
  generated sound the kind that was asked for.
* Losses: hinge adversarial, feature matching (L1 on discriminator features, real vs fake class
  means), auxiliary cross-entropy (D on real, G on fake), and a mode-seeking term
  (:func:`mode_seeking`, MSGAN) that keeps same-kind sounds from different latents apart: without
  it the generator collapsed to nearly one sound per kind (diversity 4.5 against 15-27 for real
  kits; 15.4 with it, ``benchmarks/RESULTS.md``).
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import nn

from desktop_gan.core.params import DRUM_KINDS

SR = 48000
N_SAMPLES = 72000  # 1.5 s
N_FFT, HOP = 1024, 256
N_FRAMES = N_SAMPLES // HOP + 1  # 282, torch.stft center=True
N_BANDS = 64
N_OSC = 2
DEFAULTS = {"latent": 64, "channels": 64, "kinds": list(DRUM_KINDS), "samplerate": SR,
            "n_samples": N_SAMPLES}


def mel_matrix(n_fft: int, n_mels: int, sr: int = SR, fmin: float = 20.0, fmax: float = 20000.0) -> torch.Tensor:
    """Triangular mel filterbank (n_mels, n_fft//2+1), HTK mel scale, unit peak."""
    def hz2mel(f):
        return 2595.0 * math.log10(1.0 + f / 700.0)

    mels = torch.linspace(hz2mel(fmin), hz2mel(min(fmax, sr / 2)), n_mels + 2, dtype=torch.float64)
    hz = 700.0 * (10 ** (mels / 2595.0) - 1.0)
    freqs = torch.linspace(0, sr / 2, n_fft // 2 + 1, dtype=torch.float64)
    lo, mid, hi = hz[:-2, None], hz[1:-1, None], hz[2:, None]
    up = (freqs[None] - lo) / (mid - lo).clamp_min(1e-9)
    down = (hi - freqs[None]) / (hi - mid).clamp_min(1e-9)
    fb = torch.clamp(torch.minimum(up, down), min=0.0)
    # make sure every filter catches at least its nearest bin (narrow low bands)
    nearest = torch.argmin((freqs[None] - mid).abs(), dim=1)
    fb[torch.arange(n_mels), nearest] = torch.clamp(fb[torch.arange(n_mels), nearest], min=1.0)
    return fb.float()


def band_to_bins(n_fft: int = N_FFT, n_bands: int = N_BANDS) -> torch.Tensor:
    """(bins, bands) interpolation: each STFT bin a normalised mix of its nearest bands."""
    fb = mel_matrix(n_fft, n_bands, fmin=30.0, fmax=SR / 2).T  # (bins, bands)
    return fb / fb.sum(dim=1, keepdim=True).clamp_min(1e-6)


class LogMel(nn.Module):
    """Differentiable log-mel frontend (for the discriminators, the inversion and the metrics)."""

    def __init__(self, n_fft: int = N_FFT, hop: int = HOP, n_mels: int = 80, max_samples: int | None = None):
        super().__init__()
        self.n_fft, self.hop, self.max_samples = n_fft, hop, max_samples
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        self.register_buffer("fb", mel_matrix(n_fft, n_mels), persistent=False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T) -> (B, mels, frames)
        if self.max_samples is not None:
            x = x[:, : self.max_samples]
        spec = torch.stft(x, self.n_fft, self.hop, window=self.window, return_complex=True)
        power = spec.real ** 2 + spec.imag ** 2
        return torch.log(self.fb @ power + 1e-5)


def _up_block(cin: int, cout: int) -> nn.Sequential:
    return nn.Sequential(nn.Upsample(scale_factor=2, mode="nearest"), nn.Conv1d(cin, cout, 5, padding=2),
                         nn.LeakyReLU(0.2), nn.Conv1d(cout, cout, 3, padding=1), nn.LeakyReLU(0.2))


class DrumGenerator(nn.Module):
    def __init__(self, latent: int = 64, channels: int = 64, n_kinds: int = len(DRUM_KINDS)):
        super().__init__()
        self.latent, self.n_kinds = latent, n_kinds
        c = channels
        self.embed = nn.Embedding(n_kinds, 32)
        self.inp = nn.Linear(latent + 32, 2 * c * 9)
        self.body = nn.Sequential(_up_block(2 * c, 2 * c), _up_block(2 * c, c), _up_block(c, c),
                                  _up_block(c, c), _up_block(c, c))  # 9 -> 288 frames
        self.noise_head = nn.Conv1d(c, N_BANDS, 3, padding=1)
        self.osc_head = nn.Conv1d(c, 2 * N_OSC, 3, padding=1)
        self.register_buffer("b2b", band_to_bins(), persistent=False)
        self.register_buffer("window", torch.hann_window(N_FFT), persistent=False)
        with torch.no_grad():
            self.noise_head.bias.fill_(-4.0)
            self.osc_head.bias[N_OSC:].fill_(-4.0)

    def controls(self, z: torch.Tensor, kind: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor]:
        h = self.inp(torch.cat([z, self.embed(kind)], dim=1)).view(z.shape[0], -1, 9)
        h = self.body(F.leaky_relu(h, 0.2))[:, :, :N_FRAMES]
        bands = self.noise_head(h)  # log magnitude per band
        osc = self.osc_head(h)
        freq = 25.0 * (160.0 ** torch.sigmoid(osc[:, :N_OSC]))  # 25 Hz .. 4 kHz
        amp = torch.exp(osc[:, N_OSC:].clamp(max=3.0))
        return bands, freq, amp

    def forward(self, z: torch.Tensor, kind: torch.Tensor, phase: torch.Tensor) -> torch.Tensor:
        """z (B, latent), kind (B,) long, phase (B, 513, 282) uniform in [0, 2pi) -> (B, 72000)."""
        bands, freq, amp = self.controls(z, kind)
        mag = self.b2b @ torch.exp(bands.clamp(max=4.0))  # (B, bins, frames)
        spec = torch.polar(mag, phase)
        noise = torch.istft(spec, N_FFT, HOP, window=self.window, length=N_SAMPLES)
        f = F.interpolate(freq, size=N_SAMPLES, mode="linear", align_corners=True)
        a = F.interpolate(amp, size=N_SAMPLES, mode="linear", align_corners=True)
        ph = torch.cumsum(f * (2 * math.pi / SR), dim=-1)
        tone = (a * torch.sin(ph)).sum(dim=1) * 0.1
        return noise + tone


def random_phase(batch: int, generator: torch.Generator | None = None) -> torch.Tensor:
    return torch.rand(batch, N_FFT // 2 + 1, N_FRAMES, generator=generator) * (2 * math.pi)


class SpecDiscriminator(nn.Module):
    """2-D conv net on a log-mel; projection-conditional score + auxiliary kind logits."""

    def __init__(self, n_fft: int, hop: int, n_mels: int, max_samples: int | None, n_kinds: int = len(DRUM_KINDS),
                 channels: int = 32):
        super().__init__()
        self.frontend = LogMel(n_fft, hop, n_mels, max_samples)
        c = channels
        chans = [1, c, 2 * c, 4 * c, 4 * c]
        self.convs = nn.ModuleList(
            nn.Conv2d(chans[i], chans[i + 1], 3, stride=2, padding=1) for i in range(len(chans) - 1))
        self.out = nn.Linear(4 * c, 1)
        self.embed = nn.Embedding(n_kinds, 4 * c)
        self.aux = nn.Linear(4 * c, n_kinds)

    def forward(self, x: torch.Tensor, kind: torch.Tensor):
        h = ((self.frontend(x) + 5.0) / 5.0).unsqueeze(1)
        feats = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
            feats.append(h)
        pooled = h.mean(dim=(2, 3))
        score = self.out(pooled).squeeze(1) + (self.embed(kind) * pooled).sum(dim=1)
        return score, self.aux(pooled), feats


class DrumDiscriminator(nn.Module):
    def __init__(self, n_kinds: int = len(DRUM_KINDS)):
        super().__init__()
        self.long = SpecDiscriminator(1024, 256, 80, None, n_kinds)
        self.short = SpecDiscriminator(256, 64, 48, 14400, n_kinds)

    def forward(self, x: torch.Tensor, kind: torch.Tensor):
        return [self.long(x, kind), self.short(x, kind)]


def d_loss(disc: DrumDiscriminator, real, fake, kind) -> tuple[torch.Tensor, dict[str, float]]:
    adv = aux = 0.0
    for (sr_, ar, _), (sf_, _, _) in zip(disc(real, kind), disc(fake.detach(), kind)):
        adv = adv + F.relu(1 - sr_).mean() + F.relu(1 + sf_).mean()
        aux = aux + F.cross_entropy(ar, kind)
    loss = adv + aux
    return loss, {"d_adv": float(adv.detach()), "d_aux": float(aux.detach())}


def mel_moments(mel: torch.Tensor, real_mel: torch.Tensor, kind: torch.Tensor) -> torch.Tensor:
    """L1 between the per-kind mean log-mels of fake and real (same kinds in both halves)."""
    loss = mel.new_zeros(())
    kinds = torch.unique(kind)
    for k in kinds:
        m = kind == k
        loss = loss + (mel[m].mean(0) - real_mel[m].mean(0)).abs().mean()
    return loss / len(kinds)


def mode_seeking(mel: torch.Tensor, z: torch.Tensor, kind: torch.Tensor, eps: float = 1e-5) -> torch.Tensor:
    """MSGAN mode-seeking term (Mao et al. 2019) over every same-kind pair (i < j) of the batch:
    ``mean(1 / (d_mel / d_z + eps))`` with L1 distances of the log-mels and of the latents.
    Minimising it spreads different latents of one kind apart in sound (against mode collapse);
    it falls off as 1/ratio, so it stops pushing once sounds differ as much as their latents.
    ``mel`` (B, mels, frames), ``z`` (B, latent), ``kind`` (B,). Zero when no kind repeats."""
    i, j = torch.triu_indices(len(kind), len(kind), 1, device=kind.device)
    same = kind[i] == kind[j]
    i, j = i[same], j[same]
    if not len(i):
        return mel.new_zeros(())
    d_x = (mel[i] - mel[j]).abs().mean(dim=tuple(range(1, mel.dim())))
    d_z = (z[i] - z[j]).abs().mean(dim=1).clamp_min(eps)
    return (1.0 / (d_x / d_z + eps)).mean()


def g_loss(disc: DrumDiscriminator, real, fake, kind, fm_weight: float = 2.0,
           aux_weight: float = 1.0, moment_weight: float = 0.0, ms_weight: float = 0.0,
           z: torch.Tensor | None = None) -> tuple[torch.Tensor, dict[str, float]]:
    """Hinge adversarial + feature matching + auxiliary kind CE (+ per-kind mean log-mel matching,
    a non-adversarial guide that gets each kind's spectral envelope right early on a CPU budget;
    + a mode-seeking term on the peak-normalised log-mels, weight ``ms_weight``, needs ``z``)."""
    adv = aux = fm = 0.0
    with torch.no_grad():
        real_out = disc(real, kind)
    for (sf_, af, ff), (_, _, fr) in zip(disc(fake, kind), real_out):
        adv = adv - sf_.mean()
        aux = aux + F.cross_entropy(af, kind)
        fm = fm + sum(F.l1_loss(a.mean(0), b.mean(0)) for a, b in zip(ff, fr))
    loss = adv + aux_weight * aux + fm_weight * fm
    logs = {"g_adv": float(adv.detach()), "g_aux": float(aux.detach()), "g_fm": float(fm.detach())}
    if moment_weight:
        front = disc.long.frontend
        with torch.no_grad():
            real_mel = front(real)
        mom = mel_moments(front(fake), real_mel, kind)
        loss = loss + moment_weight * mom
        logs["g_mel_moments"] = float(mom.detach())
    if ms_weight:
        if z is None:
            raise ValueError("g_loss: ms_weight needs the batch's latents z")
        # peak-normalised, so the level jitter of the batch (not the generator's doing) is no "diversity"
        x = fake / fake.abs().amax(dim=1, keepdim=True).detach().clamp_min(1e-4)
        ms = mode_seeking(disc.long.frontend(x), z.to(fake.device), kind)
        loss = loss + ms_weight * ms
        logs["g_mode_seeking"] = float(ms.detach())
    return loss, logs


def kind_index(kind: str) -> int:
    try:
        return DRUM_KINDS.index(kind)
    except ValueError:
        raise ValueError(f"unknown drum kind {kind!r}; choose from {', '.join(DRUM_KINDS)}") from None


def state_to_numpy(module: nn.Module) -> dict:
    return {k: v.detach().cpu().numpy() for k, v in module.state_dict().items()}


def generator_from_tensors(tensors: dict, config: dict) -> DrumGenerator:
    gen = DrumGenerator(int(config.get("latent", 64)), int(config.get("channels", 64)),
                        len(config.get("kinds", DRUM_KINDS)))
    gen.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    gen.eval()
    return gen


@torch.no_grad()
def generate(gen: DrumGenerator, z: torch.Tensor, kinds: torch.Tensor, seeds) -> torch.Tensor:
    """Sounds for latents ``z`` (B, latent); ``seeds`` fix each one's noise phases; peak <= 0.9."""
    dev = next(gen.parameters()).device  # noise phases are drawn on the CPU: same sound on any device
    phase = torch.stack([random_phase(1, torch.Generator().manual_seed(int(s)))[0] for s in seeds]).to(dev)
    y = gen(z.to(dev), kinds.to(dev), phase)
    peak = y.abs().amax(dim=1, keepdim=True).clamp_min(1e-4)
    return y * (0.9 / peak)


def invert(gen: DrumGenerator, target: torch.Tensor, kind: int, seed: int, steps: int = 40,
           z0: torch.Tensor | None = None, lr: float = 0.08) -> torch.Tensor:
    """Latent whose sound's log-mel is closest (L1) to ``target`` (T,) at 48 kHz; a few dozen steps."""
    dev = next(gen.parameters()).device
    mel = LogMel(N_FFT, HOP, 64).to(dev)
    tgt = torch.zeros(1, N_SAMPLES, device=dev)
    t = target.flatten()[:N_SAMPLES].float().to(dev)
    tgt[0, : t.numel()] = t / t.abs().max().clamp_min(1e-4) * 0.9
    with torch.no_grad():
        target_mel = mel(tgt)
    phase = random_phase(1, torch.Generator().manual_seed(int(seed))).to(dev)
    k = torch.tensor([kind], device=dev)
    best_z, best = None, float("inf")
    starts = [z0] if z0 is not None else [torch.randn(1, gen.latent, generator=torch.Generator().manual_seed(s))
                                          for s in range(4)]
    starts = [s.to(dev) for s in starts]
    with torch.no_grad():  # pick the best of a few starts, then descend from it
        for s in starts:
            y = gen(s, k, phase)
            loss = float((mel(y * (0.9 / y.abs().max().clamp_min(1e-4))) - target_mel).abs().mean())
            if loss < best:
                best, best_z = loss, s
    z = best_z.clone().requires_grad_(True)
    opt = torch.optim.Adam([z], lr=lr)
    for p in gen.parameters():
        p.requires_grad_(False)
    try:
        for _ in range(steps):
            y = gen(z, k, phase)
            y = y * (0.9 / y.abs().max().detach().clamp_min(1e-4))
            loss = (mel(y) - target_mel).abs().mean()
            opt.zero_grad()
            loss.backward()
            opt.step()
    finally:
        for p in gen.parameters():
            p.requires_grad_(True)
    return z.detach().cpu()
