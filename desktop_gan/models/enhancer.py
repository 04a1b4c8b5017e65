"""The speech enhancer: a causal band-gain generator, spectrogram discriminators and the losses.

Design (sized for one CPU thread, live):

* **Generator** works on a 48 kHz STFT with a 20 ms sqrt-Hann window and a 10 ms hop (481 bins);
  framing matches ``dsp.stft`` exactly, so the numpy runtime and this module compute the same thing.
  Per frame it pools bin powers into ``n_bands`` ERB bands, takes log energies plus a causally
  mean-normalised copy (level invariance), and feeds them through ``Linear -> ReLU -> GRU(layers) ->
  Linear -> sigmoid`` to get one gain per band. Gains are spread back to bins with triangular overlap
  and multiply the noisy spectrum. No look-ahead: algorithmic latency = one window (20 ms). At run
  time the gains are floored by the user's attenuation limit. A trained model can be calibrated
  after training (``training.calibrate``: one constant added to ``out.bias``, i.e. to every band's
  gain logit), which changes neither the file format nor the cost.
* **Fine low band** (``fine_bins`` > 0): band gains cannot pass a voice's harmonics and remove the
  noise between them, because one ERB band holds several harmonics. A second head refines the
  lowest ``fine_bins`` bins (50 Hz apart) one by one: from the GRU's output and each bin's
  log power against its own running mean, it predicts a logit offset per bin,
  ``g_bin = sigmoid(logit(g_band_interp) + delta)``. Its last layer starts at zero, so a band-only
  model fine-tunes into a fine one starting from exactly its old output. Cost: two small matrix
  products per frame.
* **Discriminators**: a multi-resolution spectrogram discriminator (UnivNet style), one small 2-D
  conv stack per STFT resolution on log magnitudes, returning logits and feature maps.
* **Metric discriminator** (MetricGAN+ style, optional): a small conv net reads the compressed
  spectrograms (0-8 kHz) of an output and its clean reference and predicts their PESQ-WB scaled to
  0..1. It learns from PESQ computed on the generator's outputs (and on the noisy inputs and the clean
  speech itself); the generator is pushed towards the score of clean speech. This is the one
  discriminator that knows what the listening-quality measure punishes, e.g. noise left in pauses.
* **Losses**: multi-resolution STFT (spectral convergence + log magnitude), power-law compressed
  spectral MSE, least-squares GAN, and feature matching (HiFi-GAN). ``adversarial=False`` in the task trains the same generator with the
  reconstruction loss only (the ablation).
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from desktop_gan.dsp.stft import erb_filterbank, sqrt_hann

DEFAULTS = {"samplerate": 48000, "win": 960, "hop": 480, "n_bands": 40, "hidden": 160, "layers": 2,
            "norm_alpha": 0.97, "norm_init": -6.0, "fine_bins": 0, "fine_hidden": 128}


def feature_params(cfg: dict) -> dict:
    return {k: cfg.get(k, v) for k, v in DEFAULTS.items()}


class EnhancerGenerator(nn.Module):
    def __init__(self, **cfg) -> None:
        super().__init__()
        c = feature_params(cfg)
        self.cfg = c
        self.win, self.hop, self.nb = c["win"], c["hop"], c["n_bands"]
        pool, interp = erb_filterbank(self.win // 2 + 1, c["samplerate"], self.nb)
        self.register_buffer("window", torch.from_numpy(sqrt_hann(self.win)), persistent=False)
        self.register_buffer("pool", torch.from_numpy(pool), persistent=False)
        self.register_buffer("interp", torch.from_numpy(interp), persistent=False)
        self.inp = nn.Linear(2 * self.nb, c["hidden"])
        self.gru = nn.GRU(c["hidden"], c["hidden"], num_layers=c["layers"], batch_first=True)
        self.out = nn.Linear(c["hidden"], self.nb)
        nn.init.constant_(self.out.bias, 2.0)  # start near "pass everything"
        self.fine = int(c["fine_bins"])
        if self.fine:
            self.fine_in = nn.Linear(c["hidden"] + self.fine, c["fine_hidden"])
            self.fine_out = nn.Linear(c["fine_hidden"], self.fine)
            nn.init.zeros_(self.fine_out.weight)  # start as the band-only model
            nn.init.zeros_(self.fine_out.bias)

    # -- spectral front/back ends (same framing as dsp.stft) --------------------------------------
    def stft(self, x: torch.Tensor) -> torch.Tensor:
        xp = F.pad(x, (self.win - self.hop, 0))
        frames = xp.unfold(-1, self.win, self.hop)
        return torch.fft.rfft(frames * self.window, dim=-1)

    def istft(self, spec: torch.Tensor) -> torch.Tensor:
        """Overlap-add; returns the signal aligned with the input (the last win-hop samples are cut)."""
        frames = torch.fft.irfft(spec, n=self.win, dim=-1) * self.window
        b, t, _ = frames.shape
        ola = F.fold(frames.transpose(1, 2), output_size=(1, (t - 1) * self.hop + self.win),
                     kernel_size=(1, self.win), stride=(1, self.hop)).reshape(b, -1)
        return ola[:, self.win - self.hop: t * self.hop]

    def features(self, spec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """(band features (B, T, 2*n_bands), fine-bin features (B, T, fine_bins) or None)."""
        power = spec.real ** 2 + spec.imag ** 2
        logp = torch.log10(power @ self.pool.T + 1e-10)
        logf = torch.log10(power[..., :self.fine] + 1e-10) if self.fine else None
        a = self.cfg["norm_alpha"]
        mean = torch.full_like(logp[:, 0], self.cfg["norm_init"])
        fmean = torch.full_like(logf[:, 0], self.cfg["norm_init"]) if self.fine else None
        normed, fnormed = [], []
        for t in range(logp.shape[1]):  # causal running means; cheap next to the GRU
            mean = a * mean + (1 - a) * logp[:, t]
            normed.append(logp[:, t] - mean)
            if self.fine:
                fmean = a * fmean + (1 - a) * logf[:, t]
                fnormed.append(logf[:, t] - fmean)
        band = torch.cat([(logp + 6.0) / 3.0, torch.stack(normed, 1) / 3.0], dim=-1)
        return band, (torch.stack(fnormed, 1) / 3.0 if self.fine else None)

    def bin_gains(self, spec: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """(per-bin gains (B, T, bins), band gains (B, T, n_bands))."""
        with torch.no_grad():
            feats, fine = self.features(spec)
        h, _ = self.gru(F.relu(self.inp(feats)))
        gains = torch.sigmoid(self.out(h))
        g = gains @ self.interp
        if self.fine:
            delta = self.fine_out(F.relu(self.fine_in(torch.cat([h, fine], dim=-1))))
            low = torch.sigmoid(torch.logit(g[..., :self.fine].clamp(1e-4, 1 - 1e-4)) + delta)
            g = torch.cat([low, g[..., self.fine:]], dim=-1)
        return g, gains

    def forward(self, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """Noisy (B, N) -> (enhanced (B, N - (win-hop)) aligned with x, band gains (B, T, n_bands))."""
        spec = self.stft(x)
        g, gains = self.bin_gains(spec)
        return self.istft(spec * g), gains

    def export_tensors(self) -> dict[str, np.ndarray]:
        return {k: v.detach().cpu().float().numpy() for k, v in self.state_dict().items()}


class SpecDiscriminator(nn.Module):
    """2-D convs over one log-magnitude spectrogram resolution."""

    def __init__(self, n_fft: int, hop: int, ch: int = 16) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        norm = nn.utils.parametrizations.weight_norm
        self.convs = nn.ModuleList([
            norm(nn.Conv2d(1, ch, (7, 5), (2, 2), (3, 2))),
            norm(nn.Conv2d(ch, ch, (5, 5), (2, 2), (2, 2))),
            norm(nn.Conv2d(ch, ch, (5, 5), (2, 2), (2, 2))),
            norm(nn.Conv2d(ch, ch, (3, 3), (2, 2), (1, 1))),
        ])
        self.post = norm(nn.Conv2d(ch, 1, (3, 3), 1, (1, 1)))

    def forward(self, x: torch.Tensor):
        s = torch.stft(x, self.n_fft, self.hop, window=self.window, return_complex=True).abs()
        h = torch.log(s.clamp_min(1e-5)).unsqueeze(1)
        feats = []
        for conv in self.convs:
            h = F.leaky_relu(conv(h), 0.2)
            feats.append(h)
        return self.post(h).flatten(1), feats


class MultiResolutionDiscriminator(nn.Module):
    def __init__(self, resolutions=((512, 128), (1024, 256), (2048, 512)), ch: int = 16) -> None:
        super().__init__()
        self.discs = nn.ModuleList([SpecDiscriminator(n, h, ch) for n, h in resolutions])

    def forward(self, x: torch.Tensor):
        return [d(x) for d in self.discs]


class MetricDiscriminator(nn.Module):
    """Predicts PESQ-WB, scaled to 0..1 (``(pesq - 1) / 3.5``), of ``y`` against ``clean``."""

    def __init__(self, n_fft: int = 1024, hop: int = 480, samplerate: int = 48000, max_hz: float = 8000.0,
                 ch: int = 16) -> None:
        super().__init__()
        self.n_fft, self.hop = n_fft, hop
        self.bins = int(max_hz * n_fft / samplerate) + 1
        self.register_buffer("window", torch.hann_window(n_fft), persistent=False)
        norm = nn.utils.parametrizations.spectral_norm
        self.convs = nn.Sequential(
            norm(nn.Conv2d(2, ch, 5, 2, 2)), nn.LeakyReLU(0.2), norm(nn.Conv2d(ch, 2 * ch, 5, 2, 2)), nn.LeakyReLU(0.2),
            norm(nn.Conv2d(2 * ch, 2 * ch, 5, 2, 2)), nn.LeakyReLU(0.2), norm(nn.Conv2d(2 * ch, 2 * ch, 3, 2, 1)),
            nn.LeakyReLU(0.2))
        self.head = nn.Sequential(norm(nn.Linear(2 * ch, 32)), nn.LeakyReLU(0.2), norm(nn.Linear(32, 1)))

    def forward(self, y: torch.Tensor, clean: torch.Tensor) -> torch.Tensor:
        spec = [torch.stft(a, self.n_fft, self.hop, window=self.window, return_complex=True).abs()[:, :self.bins]
                for a in (y, clean)]
        h = self.convs(torch.stack(spec, 1).clamp_min(1e-8) ** 0.3)
        return torch.sigmoid(self.head(h.mean(dim=(2, 3)))).squeeze(1)


def metric_d_loss(disc: MetricDiscriminator, pairs) -> torch.Tensor:
    """MSE between predicted and measured scores over (output, clean, measured 0..1 score) triples;
    items whose score could not be measured (NaN) are left out."""
    loss = 0.0
    for y, clean, score in pairs:
        ok = torch.isfinite(score)
        if ok.any():
            loss = loss + F.mse_loss(disc(y[ok], clean[ok]), score[ok])
    return loss


# --------------------------------------------------------------------------- losses
def _mag(x: torch.Tensor, n_fft: int, hop: int) -> torch.Tensor:
    win = torch.hann_window(n_fft, device=x.device)
    return torch.stft(x, n_fft, hop, window=win, return_complex=True).abs().clamp_min(1e-7)


def multi_res_stft_loss(y: torch.Tensor, target: torch.Tensor,
                        resolutions=((256, 64), (512, 128), (1024, 256), (2048, 512))) -> torch.Tensor:
    """Spectral convergence + L1 of log magnitudes, averaged over resolutions."""
    total = y.new_zeros(())
    for n_fft, hop in resolutions:
        sy, st = _mag(y, n_fft, hop), _mag(target, n_fft, hop)
        sc = torch.linalg.norm(st - sy) / (torch.linalg.norm(st) + 1e-7)
        total = total + sc + F.l1_loss(torch.log(sy), torch.log(st))
    return total / len(resolutions)


def compressed_mag_loss(y: torch.Tensor, target: torch.Tensor, n_fft: int = 960, hop: int = 480,
                        power: float = 0.3) -> torch.Tensor:
    """MSE of power-law compressed magnitudes (plus the same on complex values, which keeps phase)."""
    win = torch.hann_window(n_fft, device=y.device)
    sy = torch.stft(y, n_fft, hop, window=win, return_complex=True)
    st = torch.stft(target, n_fft, hop, window=win, return_complex=True)
    my, mt = sy.abs().clamp_min(1e-8) ** power, st.abs().clamp_min(1e-8) ** power
    mag = F.mse_loss(my, mt)
    cplx = F.mse_loss(torch.view_as_real(sy / sy.abs().clamp_min(1e-8) * my),
                      torch.view_as_real(st / st.abs().clamp_min(1e-8) * mt))
    return 0.7 * mag + 0.3 * cplx


def d_loss(real_outs, fake_outs) -> torch.Tensor:
    return sum(torch.mean((1 - r) ** 2) + torch.mean(f ** 2) for (r, _), (f, _) in zip(real_outs, fake_outs))


def g_adv_loss(fake_outs) -> torch.Tensor:
    return sum(torch.mean((1 - f) ** 2) for f, _ in fake_outs)


def feature_matching_loss(real_outs, fake_outs) -> torch.Tensor:
    loss = 0.0
    for (_, rf), (_, ff) in zip(real_outs, fake_outs):
        for r, f in zip(rf, ff):
            loss = loss + F.l1_loss(f, r.detach())
    return loss
