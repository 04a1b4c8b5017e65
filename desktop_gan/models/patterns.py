"""Style-conditional pattern GAN over one-bar drum grids (8 parts x 16 steps, velocity + timing).

Why this shape: the corpus is ~50 hand-written bars (``resources/patterns``), far too few for a
sequence model to learn anything but copies, and an unconditional bar GAN trained on it collapsed
to one bar per style in our runs (the latent was ignored). So the generator is a *variation* GAN:
the latent's first entry picks a seed bar of the style from the corpus (shipped inside the model
file), and a small MLP, given that bar, the rest of the latent and the style, proposes a new bar;
the discriminator compares it with on-the-fly augmented corpus bars (crossover of parts between
bars of one style, ghost notes dropped or added, velocity and timing jitter), and a mode-seeking
term keeps different latents apart. Diversity therefore comes from the corpus and from the GAN,
and every bar stays idiomatic. A bar is 256 numbers; both nets are two-layer MLPs (~200 k
parameters), sampling takes well under a millisecond, and a loop's lanes can be re-drawn one by
one by taking one row of a fresh sample.

Output per (part, step): velocity in 0-1 (below ``HIT_THRESHOLD`` = rest) and a timing offset in
fractions of a 16th (+-0.45). Multi-bar loops repeat the main bar; the last bar of 4 and 8 bar
loops is a variation drawn near the main latent (a light fill).
"""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from desktop_gan.core.params import DRUM_KINDS, PATTERN_STYLES

N_PARTS, N_STEPS = len(DRUM_KINDS), 16
HIT_THRESHOLD = 0.2


class PatternGenerator(nn.Module):
    """(seed bar, z, style) -> a new bar. The corpus bars of every style travel inside the model
    file (buffers ``corpus_vel``, ``corpus_off``, ``corpus_style``); the latent's first entry picks
    the seed bar of the style (through the normal CDF), the rest drives the variation."""

    def __init__(self, latent: int = 32, hidden: int = 256, n_styles: int = len(PATTERN_STYLES), n_corpus: int = 0):
        super().__init__()
        self.latent = latent
        self.embed = nn.Embedding(n_styles, 16)
        self.net = nn.Sequential(nn.Linear(2 * N_PARTS * N_STEPS + latent + 16, hidden), nn.LeakyReLU(0.2),
                                 nn.Linear(hidden, hidden), nn.LeakyReLU(0.2), nn.Linear(hidden, N_PARTS * N_STEPS * 2))
        self.register_buffer("corpus_vel", torch.zeros(n_corpus, N_PARTS, N_STEPS))
        self.register_buffer("corpus_off", torch.zeros(n_corpus, N_PARTS, N_STEPS))
        self.register_buffer("corpus_style", torch.zeros(n_corpus, dtype=torch.long))

    def set_corpus(self, vel, off, style) -> None:
        self.corpus_vel = torch.as_tensor(vel, dtype=torch.float32)
        self.corpus_off = torch.as_tensor(off, dtype=torch.float32)
        self.corpus_style = torch.as_tensor(style, dtype=torch.long)

    def seed_bars(self, z: torch.Tensor, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        idx = []
        u = 0.5 * (1 + torch.erf(z[:, 0] / 2 ** 0.5))
        for ui, st in zip(u.tolist(), style.tolist()):
            pool = torch.nonzero(self.corpus_style == st).flatten()
            idx.append(int(pool[min(len(pool) - 1, int(ui * len(pool)))]))
        return self.corpus_vel[idx], self.corpus_off[idx]

    def forward(self, z: torch.Tensor, style: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        bv, bo = self.seed_bars(z, style)
        h = torch.cat([bv.flatten(1), bo.flatten(1), z, self.embed(style)], dim=1)
        out = self.net(h).view(-1, 2, N_PARTS, N_STEPS)
        prior = torch.where(bv > 0, 2.0 + 2.0 * bv, torch.full_like(bv, -4.0))
        return torch.sigmoid(prior + out[:, 0]), torch.clamp(bo + 0.08 * torch.tanh(out[:, 1]), -0.45, 0.45)


class PatternDiscriminator(nn.Module):
    def __init__(self, hidden: int = 256, n_styles: int = len(PATTERN_STYLES)):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(N_PARTS * N_STEPS * 2, hidden), nn.LeakyReLU(0.2))
        self.body2 = nn.Sequential(nn.Linear(hidden + 1, hidden), nn.LeakyReLU(0.2))
        self.out = nn.Linear(hidden, 1)
        self.embed = nn.Embedding(n_styles, hidden)

    def forward(self, vel: torch.Tensor, off: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
        h = self.body(torch.cat([vel.flatten(1), (off * vel).flatten(1)], dim=1))
        # minibatch standard deviation: lets D see a collapsed batch (all bars alike)
        std = h.std(dim=0).mean().expand(h.shape[0], 1) if h.shape[0] > 1 else h.new_zeros(h.shape[0], 1)
        h = self.body2(torch.cat([h, std], dim=1))
        return self.out(h).squeeze(1) + (self.embed(style) * h).sum(1)


def generator_from_tensors(tensors: dict, config: dict) -> PatternGenerator:
    gen = PatternGenerator(int(config.get("latent", 32)), int(config.get("hidden", 256)),
                           len(config.get("styles", PATTERN_STYLES)), int(tensors["corpus_style"].shape[0]))
    gen.load_state_dict({k: torch.from_numpy(v.copy()) for k, v in tensors.items()})
    return gen.eval()


def style_index(style: str) -> int:
    try:
        return PATTERN_STYLES.index(style)
    except ValueError:
        raise ValueError(f"unknown style {style!r}; choose from {', '.join(PATTERN_STYLES)}") from None


@torch.no_grad()
def sample_bar(gen: PatternGenerator, style: str, z: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """One bar (velocity (8, 16) with rests as 0, offset (8, 16)) for latent ``z`` (latent,)."""
    dev = next(gen.parameters()).device
    vel, off = gen(torch.from_numpy(np.asarray(z, np.float32)[None]).to(dev), torch.tensor([style_index(style)], device=dev))
    v = vel[0].cpu().numpy().astype(np.float64)
    o = off[0].cpu().numpy().astype(np.float64)
    v = np.where(v >= HIT_THRESHOLD, np.clip(v, 0.0, 1.0), 0.0)
    return v, np.where(v > 0, o, 0.0)


def latent_for(seed: int, latent: int = 32) -> np.ndarray:
    return np.random.default_rng([int(seed), 7]).standard_normal(latent)


def sample_pattern(gen: PatternGenerator, style: str, z: np.ndarray, bars: int,
                   fill_seed: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """(velocity, offset), each (8, bars*16): the main bar repeated, a variation as the last bar of
    4- and 8-bar loops (latent moved by 0.6 in a direction drawn from ``fill_seed``)."""
    v, o = sample_bar(gen, style, z)
    vs, os_ = [v] * bars, [o] * bars
    if bars >= 4:
        rng = np.random.default_rng([0 if fill_seed is None else int(fill_seed), 11])
        vf, of = sample_bar(gen, style, np.asarray(z) + 0.6 * rng.standard_normal(len(z)))
        vs[-1], os_[-1] = vf, of
    return np.concatenate(vs, axis=1), np.concatenate(os_, axis=1)
