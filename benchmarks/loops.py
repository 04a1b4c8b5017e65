"""Loop sketching benchmark: speed of a new loop / one lane, and one-shot quality vs a held-out kit.

    .venv/bin/python benchmarks/loops.py [--drums PATH] [--patterns PATH] [--per-kind 48] [--skip-quality]

Speed (one torch thread, medians of 9 runs after a warm-up): a whole new loop (8 sounds from the
drum GAN, a pattern from the pattern GAN, rendered: 4 bars, 120 BPM, 48 kHz) and regenerating one
lane's sound (new sound + re-render). Targets: <= 200 ms and <= 100 ms.

Quality: a drum-kind classifier (small CNN on log-mels, torch, seeded) is trained here on the
*training* one-shots (rendered GM soundfont kits, ``data/drums``) and checked on the *held-out*
recorded AVL kits (``data/drums_heldout``, never trained on; no clap there). Reported:

* classifier accuracy on held-out real sounds (how far to trust the rest);
* agreement: share of generated sounds the classifier puts in the requested kind (target >= 90 %);
* Fréchet distance on the classifier's 64-d embedding: generated vs training real, generated vs
  held-out real, and two baselines in the same run: held-out vs training real (real-vs-real) and
  decaying noise bursts vs training real (noise-vs-real);
* diversity: mean pairwise embedding distance within a kind, generated vs training and held-out.
Prints a table and, last, one JSON line; results go to ``benchmarks/results/loops.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from desktop_gan.core.params import DRUM_KINDS, LoopParams  # noqa: E402


def timings(drums_path, patterns_path, runs: int = 9) -> dict:
    import torch

    from desktop_gan.runtime.loops import LoopSketch, load_drums, load_patterns

    drums, pats = load_drums(drums_path), load_patterns(patterns_path)
    params = LoopParams(bpm=120, bars=4, samplerate=48000, style="house", seed=0)
    sk = LoopSketch(drums, pats, params)
    sk.render()  # warm-up
    new, lane, oneshot8 = [], [], []
    for i in range(runs):
        t0 = time.perf_counter()
        sk.new(1000 + i)
        sk.render()
        new.append(time.perf_counter() - t0)
        t0 = time.perf_counter()
        sk.regenerate_sound("snare", seed=i)
        sk.render()
        lane.append(time.perf_counter() - t0)
        from desktop_gan.models.drums import generate

        t0 = time.perf_counter()
        generate(drums, torch.randn(8, drums.latent), torch.arange(8), range(8))
        oneshot8.append(time.perf_counter() - t0)
    n_params = sum(p.numel() for p in drums.parameters())
    return {"new_loop_ms": 1000 * float(np.median(new)), "lane_regen_ms": 1000 * float(np.median(lane)),
            "oneshots8_ms": 1000 * float(np.median(oneshot8)), "drum_gen_params": int(n_params)}


# -- quality ----------------------------------------------------------------------------------
def _features(x: np.ndarray):
    """Log-mel (64 bands) pooled into 24 time segments on a log time axis (fine at the attack,
    coarse in the tail): (N, 64 * 24), the classifier's input."""
    import torch

    from desktop_gan.models.drums import LogMel

    mel = LogMel(1024, 256, 64)
    edges = np.unique(np.geomspace(1, 283, 25).astype(int)) - 1
    out = []
    with torch.no_grad():
        for i in range(0, len(x), 64):
            m = mel(torch.from_numpy(np.asarray(x[i:i + 64], np.float32)))
            out.append(torch.stack([m[:, :, a:max(b, a + 1)].mean(2) for a, b in zip(edges[:-1], edges[1:])], 2))
    f = torch.cat(out).flatten(1)
    return (f + 5.0) / 5.0


class KindNet:
    """MLP drum-kind classifier; its 64-d penultimate layer is the embedding for FD/diversity."""

    def __init__(self, n_in: int, seed=0):
        import torch
        from torch import nn

        torch.manual_seed(seed)
        self.body = nn.Sequential(nn.Linear(n_in, 256), nn.ReLU(), nn.Dropout(0.2), nn.Linear(256, 64), nn.ReLU())
        self.head = nn.Linear(64, len(DRUM_KINDS))

    def embed(self, f):
        return self.body(f)

    def fit(self, f, y, steps=3000, seed=0):
        import torch
        import torch.nn.functional as F

        params = list(self.body.parameters()) + list(self.head.parameters())
        opt = torch.optim.AdamW(params, 1e-3, weight_decay=1e-3)
        g = np.random.default_rng(seed)
        y = torch.from_numpy(y)
        by_kind = [np.nonzero(y.numpy() == k)[0] for k in range(len(DRUM_KINDS))]
        self.body.train()
        for _ in range(steps):
            idx = np.concatenate([g.choice(ix, 16) for ix in by_kind if len(ix)])
            xb = f[idx] + 0.1 * torch.randn_like(f[idx]) + 0.2 * torch.randn(len(idx), 1)  # level jitter
            loss = F.cross_entropy(self.head(self.embed(xb)), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
        self.body.eval()

    def predict(self, f):
        import torch

        with torch.no_grad():
            e = self.embed(f)
            return self.head(e).argmax(1).numpy(), e.numpy().astype(np.float64)


def frechet(a: np.ndarray, b: np.ndarray) -> float:
    from scipy import linalg

    mu1, mu2 = a.mean(0), b.mean(0)
    s1, s2 = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    covmean = np.real(linalg.sqrtm(s1 @ s2))
    return float(((mu1 - mu2) ** 2).sum() + np.trace(s1 + s2 - 2 * covmean))


def diversity(e: np.ndarray, y: np.ndarray) -> float:
    vals = []
    for k in np.unique(y):
        ek = e[y == k]
        if len(ek) > 1:
            d = np.sqrt(((ek[:, None] - ek[None]) ** 2).sum(-1))
            vals.append(d[np.triu_indices(len(ek), 1)].mean())
    return float(np.mean(vals))


def noise_bursts(n: int, seed: int) -> np.ndarray:
    g = np.random.default_rng(seed)
    t = np.arange(72000) / 48000
    out = g.standard_normal((n, 72000)) * np.exp(-t[None] * g.uniform(3, 40, (n, 1)))
    return (0.9 * out / np.abs(out).max(1, keepdims=True)).astype(np.float32)


def quality(drums_path, per_kind: int, data: Path) -> dict:
    import torch

    from desktop_gan.models.drums import generate
    from desktop_gan.runtime.loops import load_drums
    from desktop_gan.training.drums_task import load_oneshots

    x_tr, y_tr, _ = load_oneshots(data / "drums", max_per_kind=300)
    x_ho, y_ho, _ = load_oneshots(data / "drums_heldout")
    f_tr, f_ho = _features(x_tr.astype(np.float32)), _features(x_ho.astype(np.float32))
    net = KindNet(f_tr.shape[1], 0)
    t0 = time.perf_counter()
    net.fit(f_tr, y_tr)
    fit_s = time.perf_counter() - t0
    p_tr, e_tr = net.predict(f_tr)
    p_ho, e_ho = net.predict(f_ho)
    gen = load_drums(drums_path)
    g = torch.Generator().manual_seed(123)
    xs, ys = [], []
    for k in range(len(DRUM_KINDS)):
        z = torch.randn(per_kind, gen.latent, generator=g)
        xs.append(generate(gen, z, torch.full((per_kind,), k), range(k * 1000, k * 1000 + per_kind)).numpy())
        ys.append(np.full(per_kind, k))
    x_g, y_g = np.concatenate(xs), np.concatenate(ys)
    p_g, e_g = net.predict(_features(x_g))
    p_n, e_n = net.predict(_features(noise_bursts(per_kind * 4, 7)))
    per_kind_agree = {kind: float((p_g[y_g == k] == k).mean()) for k, kind in enumerate(DRUM_KINDS)}
    return {
        "n_train_real": int(len(y_tr)), "n_heldout_real": int(len(y_ho)), "n_generated": int(len(y_g)),
        "classifier_fit_s": fit_s,
        "classifier_acc_train": float((p_tr == y_tr).mean()),
        "classifier_acc_heldout": float((p_ho == y_ho).mean()),
        "agreement_generated": float((p_g == y_g).mean()),
        "agreement_per_kind": per_kind_agree,
        "fd_generated_vs_train": frechet(e_g, e_tr),
        "fd_generated_vs_heldout": frechet(e_g, e_ho),
        "fd_heldout_vs_train": frechet(e_ho, e_tr),
        "fd_noise_vs_train": frechet(e_n, e_tr),
        "diversity_generated": diversity(e_g, y_g),
        "diversity_train": diversity(e_tr, y_tr),
        "diversity_heldout": diversity(e_ho, y_ho),
    }


def main(argv=None) -> int:
    import torch

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--drums", default=None, help="drums model (default: the shipped one)")
    ap.add_argument("--patterns", default=None)
    ap.add_argument("--per-kind", type=int, default=48)
    ap.add_argument("--data", type=Path, default=ROOT / "data")
    ap.add_argument("--skip-quality", action="store_true")
    args = ap.parse_args(argv)
    torch.set_num_threads(1)
    res = {"bench": "loops", "python": platform.python_version(), "torch": torch.__version__, "threads": 1}
    res.update(timings(args.drums, args.patterns))
    print(f"{'measure':34s} {'value':>10s}  target")
    print(f"{'new loop (8 sounds, 4 bars, 48k)':34s} {res['new_loop_ms']:8.1f}ms  <= 200 ms")
    print(f"{'regenerate one lane':34s} {res['lane_regen_ms']:8.1f}ms  <= 100 ms")
    print(f"{'8 one-shots from the GAN':34s} {res['oneshots8_ms']:8.1f}ms  well under 100 ms")
    if not args.skip_quality:
        if not (args.data / "drums_heldout").is_dir():
            print("no held-out kit under data/drums_heldout: run python -m desktop_gan.training.drum_data")
        else:
            q = quality(args.drums, args.per_kind, args.data)
            res.update(q)
            rows = [("classifier acc, held-out real", q["classifier_acc_heldout"], "(trust check)"),
                    ("agreement, generated", q["agreement_generated"], ">= 0.90"),
                    ("FD generated vs train real", q["fd_generated_vs_train"], ""),
                    ("FD generated vs held-out real", q["fd_generated_vs_heldout"], ""),
                    ("FD held-out vs train (real-real)", q["fd_heldout_vs_train"], "baseline"),
                    ("FD noise vs train (noise-real)", q["fd_noise_vs_train"], "baseline"),
                    ("diversity generated", q["diversity_generated"], ""),
                    ("diversity train real", q["diversity_train"], ""),
                    ("diversity held-out real", q["diversity_heldout"], "")]
            for name, v, tgt in rows:
                print(f"{name:34s} {v:10.3f}  {tgt}")
            print("agreement per kind: " + ", ".join(f"{k} {v:.2f}" for k, v in q["agreement_per_kind"].items()))
    out = ROOT / "benchmarks" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "loops.json").write_text(json.dumps(res, indent=1) + "\n")
    print(json.dumps(res))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
