"""The pattern corpus (one-bar step grids per style) and the pattern GAN's training task.

The corpus is data the project keeps: ``resources/patterns/corpus.json``, written from the grids
below by ``python -m desktop_gan.training.pattern_corpus --write``. Each grid was written by hand for
this project from the genres' textbook patterns (no recording, MIDI file or score was copied);
``source`` names the idiom each one follows. Grid characters: ``X`` accent (velocity 1.0), ``x``
normal (0.75), ``o`` ghost (0.4), ``.`` rest; 16 steps = one 4/4 bar of 16ths. ``late`` gives
per-part timing offsets in fractions of a 16th (laid-back snares, rushed hats).

``PatternsTask`` is a GanTask (same trainer as the drums): batches are corpus bars augmented on the
fly (part-wise crossover between bars of the same style, ghost notes dropped or added, velocity and
timing jitter), so the small GAN learns a style's distribution rather than 60 fixed bars.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

import numpy as np

from desktop_gan.core.params import DRUM_KINDS, PATTERN_STYLES
from desktop_gan.training.task import EvalResult

LEVELS = {".": 0.0, "o": 0.4, "x": 0.75, "X": 1.0}
_S = {"kick": "kick", "sn": "snare", "cl": "clap", "hh": "closed-hat", "oh": "open-hat", "tom": "tom",
      "rim": "rim", "cy": "cymbal"}

# (style, name, source idiom, {part: grid}, {part: offset})
CORPUS = [
    # ---- house / four-on-the-floor -------------------------------------------------------------
    ("house", "four-floor basic", "four-on-the-floor house: kick every beat, clap 2 and 4, off-beat open hat",
     {"kick": "X...X...X...X...", "cl": "....X.......X...", "hh": "x.x.x.x.x.x.x.x.", "oh": "..X...X...X...X."}, {}),
    ("house", "deep house", "deep house: off-beat open hat, 16th shaker-like hats, rim on the and of 4",
     {"kick": "X...X...X...X...", "cl": "....X.......X...", "hh": "oxoxoxoxoxoxoxox", "oh": "..x...x...x...x.",
      "rim": "..............x."}, {"hh": 0.05}),
    ("house", "garage shuffle", "UK garage / shuffled house: skipping kick, snare 2 and 4",
     {"kick": "X.....x...X.....", "sn": "....X.......X...", "hh": "x.xox.xox.xox.xo", "oh": "..x.......x....."}, {}),
    ("house", "techno drive", "techno: four-on-the-floor, 16th hats, ride-like cymbal on off-beats",
     {"kick": "X...X...X...X...", "cl": "....x.......x...", "hh": "xxXxxxXxxxXxxxXx", "cy": "..x...x...x...x."}, {}),
    ("house", "disco", "disco: four-on-the-floor, open hat on every off-beat, snare backbeat",
     {"kick": "X...X...X...X...", "sn": "....X.......X...", "hh": "x...x...x...x...", "oh": "..X...X...X...X."}, {}),
    ("house", "tech house", "tech house: kick, clap, hats with a rim pattern",
     {"kick": "X...X...X...X...", "cl": "....X.......X...", "hh": "..x...x...x...xx", "rim": ".x..x.x..x...x..",
      "oh": "..o...o...o...o."}, {}),
    ("house", "chicago", "Chicago house drum-machine groove: kick, clap, 16th hats with accents",
     {"kick": "X...X...X...X..x", "cl": "....X.......X...", "hh": "XxxxXxxxXxxxXxxx", "oh": "..x.......x....."}, {}),
    ("house", "minimal", "minimal house: kick, off-beat hat, sparse rim and clap",
     {"kick": "X...X...X...X...", "hh": "..x...x...x...x.", "rim": "...x.....x....x.", "cl": "............x..."}, {}),
    # ---- rock ----------------------------------------------------------------------------------
    ("rock", "backbeat", "rock backbeat: kick 1 and 3, snare 2 and 4, 8th hats",
     {"kick": "X.......X.......", "sn": "....X.......X...", "hh": "x.x.x.x.x.x.x.x."}, {}),
    ("rock", "backbeat push", "rock backbeat with the kick on the and of 3",
     {"kick": "X.......X.x.....", "sn": "....X.......X...", "hh": "X.x.X.x.X.x.X.x."}, {}),
    ("rock", "driving 8ths", "driving rock: kick 1, and-of-2, 3; crash on 1; ride-like 8ths",
     {"kick": "X.....x.X.......", "sn": "....X.......X...", "hh": "x.x.x.x.x.x.x.x.", "cy": "X..............."}, {}),
    ("rock", "16th hats", "rock with 16th hats and a ghosted snare",
     {"kick": "X.......X..x....", "sn": "....X..o....X...", "hh": "xxxxxxxxxxxxxxxx"}, {}),
    ("rock", "half-open", "hard rock: open hat 8ths, double kick before 3",
     {"kick": "X.....xxX.......", "sn": "....X.......X...", "oh": "x.x.x.x.x.x.x.x."}, {}),
    ("rock", "tom fill bar", "rock fill bar: groove into a 16th tom run on beat 4",
     {"kick": "X.......X.......", "sn": "....X.......xxo.", "hh": "x.x.x.x.x.x.....", "tom": "............xxxX"}, {}),
    ("rock", "four-floor rock", "dance-rock: kick on every beat, snare backbeat, open hat off-beats",
     {"kick": "X...X...X...X...", "sn": "....X.......X...", "hh": "x...x...x...x...", "oh": "..x...x...x...x."}, {}),
    ("rock", "ride groove", "rock ride groove with the crash on 1",
     {"kick": "X..x....X.......", "sn": "....X.......X...", "cy": "X.x.x.x.x.x.x.x."}, {}),
    ("rock", "shuffle", "rock shuffle: triplet-like hat pairs (played with swing), kick 1 and 3",
     {"kick": "X.......X.......", "sn": "....X.......X...", "hh": "x.xxx.xxx.xxx.xx"}, {}),
    # ---- boom-bap ------------------------------------------------------------------------------
    ("boom-bap", "classic", "90s boom-bap: kick 1 and the a of 2, snare 2 and 4 laid back, 8th hats",
     {"kick": "X.........X.....", "sn": "....X.......X...", "hh": "x.x.x.x.x.x.x.x."}, {"sn": 0.15}),
    ("boom-bap", "double kick", "boom-bap with kick on 1, the and of 1 and the a of 3",
     {"kick": "X.x.......x..x..", "sn": "....X.......X...", "hh": "x.x.x.x.x.x.x.xo"}, {"sn": 0.1}),
    ("boom-bap", "ghosted", "boom-bap with ghost snares and an open hat on the and of 4",
     {"kick": "X......x..X.....", "sn": "....X..o.o..X...", "hh": "x.x.x.x.x.x.x...", "oh": "..............x."},
     {"sn": 0.12}),
    ("boom-bap", "lazy", "slow lazy boom-bap: kick pattern 1, a-of-2, 3-and, rim clicks",
     {"kick": "X.......X.x.....", "sn": "....X.......X...", "hh": "x...x...x...x...", "rim": "......x.......x."},
     {"sn": 0.2, "hh": 0.1}),
    ("boom-bap", "16th hats", "boom-bap with 16th hats accented on the beat",
     {"kick": "X..x......X.....", "sn": "....X.......X...", "hh": "Xoxo" * 4}, {"sn": 0.1}),
    ("boom-bap", "clap layer", "boom-bap with snare and clap layered on 2 and 4",
     {"kick": "X.......xx......", "sn": "....X.......X...", "cl": "....x.......x...", "hh": "x.x.x.x.x.x.x.x."},
     {"sn": 0.1}),
    ("boom-bap", "dilla-ish", "loose boom-bap: late snare, rushed hats, kick on the e of 3",
     {"kick": "X.....x..x......", "sn": "....X.......X...", "hh": "x.x.x.x.x.x.x.x."}, {"sn": 0.25, "hh": -0.1}),
    ("boom-bap", "sparse", "sparse boom-bap with a crash on 1",
     {"kick": "X.........x.....", "sn": "....X.......X...", "hh": "x...x...x...x...", "cy": "x..............."},
     {"sn": 0.15}),
    # ---- breakbeat -----------------------------------------------------------------------------
    ("breakbeat", "amen bar 1", "Amen-break-like bar (after the 1969 'Amen, Brother' groove), as a grid",
     {"kick": "X.X.......XX....", "sn": "....X..o.o..X..o", "cy": "x.x.x.x.x.x.x.x."}, {}),
    ("breakbeat", "amen bar 3", "Amen-break-like variation bar with the syncopated snare",
     {"kick": "X.X.......X.....", "sn": "....X..o.o....X.", "cy": "x.x.x.x.x.x.x.x."}, {}),
    ("breakbeat", "funky drummer", "Funky-Drummer-like grid (after the 1970 groove): 16th hats, ghost notes",
     {"kick": "X.x...x...x..x..", "sn": "....X..o.o.oX..o", "hh": "xxxxxxxoxxxxxxxx", "oh": ".......x........"}, {}),
    ("breakbeat", "think break", "Think-break-like grid: kick 1 and the and of 2, busy 16th hats",
     {"kick": "X.....x...x.....", "sn": "....X.......X.o.", "hh": "xxxxxxxxxxxxxxxx"}, {}),
    ("breakbeat", "apache", "Apache-like break grid with toms",
     {"kick": "X.....x.X.......", "sn": "....X.......X...", "hh": "x.x.x.x.x.x.x.x.", "tom": "..x.......x..x.."}, {}),
    ("breakbeat", "big beat", "big beat: heavy kick doubles, snare on 2 and 4, open hats",
     {"kick": "X.X.......X.X...", "sn": "....X.......X...", "oh": "..x...x...x...x.", "hh": "x...x...x...x..."}, {}),
    ("breakbeat", "jungle", "jungle/drum-and-bass chopped break at double time feel",
     {"kick": "X.........X.....", "sn": "....X..o.X..X...", "hh": "x.xxx.xxx.xxx.xx", "cy": "x..............."}, {}),
    ("breakbeat", "two-step dnb", "two-step drum-and-bass: kick 1 and the a of 3, snare 2 and 4",
     {"kick": "X.........X.....", "sn": "....X.......X...", "hh": "x.x.x.x.x.x.x.x.", "rim": ".......x......x."}, {}),
    ("breakbeat", "skippy", "skippy breakbeat with a ghosted snare roll",
     {"kick": "X..x....X.x.....", "sn": "....X.oo....X.oo", "hh": "x.x.x.x.x.x.x.x."}, {}),
    # ---- trap / half-time ----------------------------------------------------------------------
    ("trap", "half-time", "trap half-time: snare/clap on beat 3, 808-like kicks, 8th hats",
     {"kick": "X.........X.....", "sn": "........X.......", "cl": "........X.......", "hh": "x.x.x.x.x.x.x.x."}, {}),
    ("trap", "hat rolls", "trap: 16th hats with a rising roll before beat 3 and at the bar end",
     {"kick": "X......x..X.....", "cl": "........X.......", "hh": "x.x.x.oxxXx.x.ox"}, {}),
    ("trap", "triplet feel", "trap hats in a triplet feel (offsets), kick syncopation",
     {"kick": "X..x......x.....", "sn": "........X.......", "hh": "x.xx.xx.x.xx.xx."}, {"hh": 0.1}),
    ("trap", "busy 16ths", "trap 16th hats with accents, clap on 3, open hat on the and of 4",
     {"kick": "X.......x.x.....", "cl": "........X.......", "hh": "XxxxXxxxXxxxXx..", "oh": "..............x."}, {}),
    ("trap", "drill", "UK-drill-like: snare on 3 and the a of 4, sliding kicks, sparse hats",
     {"kick": "X.....x...x.....", "sn": "........X.....x.", "hh": "x..x..x.x..x..x.", "rim": "...x.......x...."}, {}),
    ("trap", "roll end", "trap: 16th hat roll in the last beat, rim ticks",
     {"kick": "X.........x..x..", "cl": "........X.......", "hh": "x.x.x.x.x.x.xxxx", "rim": "......x........."}, {}),
    ("trap", "sparse 808", "sparse trap: long kicks, clap on 3, quarter hats",
     {"kick": "X.........X..x..", "cl": "........X.......", "hh": "x...x...x...x..."}, {}),
    ("trap", "cymbal lift", "trap with a crash on 1 and open hat on the and of 2",
     {"kick": "X......x..x.....", "sn": "........X.......", "hh": "x.x.x...x.x.x.xx", "oh": "......x.........",
      "cy": "X..............."}, {}),
    # ---- latin ---------------------------------------------------------------------------------
    ("latin", "son clave 3-2", "son clave (3-2, two bars folded as rim) with a tumbao-like kick",
     {"rim": "X..X..X.....X.X.", "kick": "...x.......x....", "hh": "x.x.x.x.x.x.x.x."}, {}),
    ("latin", "rumba clave", "rumba clave 3-2 on rim with conga-like toms",
     {"rim": "X..X...X....X.X.", "tom": "......xx......xx", "kick": "X.......X......."}, {}),
    ("latin", "bossa nova", "bossa nova: rim cross-stick pattern, kick on 1 and the a of 2, 8th hats",
     {"rim": "X..X..X...X..X..", "kick": "X..x....X..x....", "hh": "x.x.x.x.x.x.x.x."}, {}),
    ("latin", "tumbao", "tumbao-like: toms on the and of 2 and on 4 (open tones), kick anticipation",
     {"tom": "......X.....X.X.", "kick": "...x.......x....", "rim": "x...x...x...x...", "hh": "xoxoxoxoxoxoxoxo"}, {}),
    ("latin", "samba", "samba: kick on 2 and 4 (surdo), 16th hats, rim syncopation",
     {"kick": "x...X...x...X...", "hh": "XxxxXxxxXxxxXxxx", "rim": "..x..x....x..x.."}, {}),
    ("latin", "songo", "songo-like: rim/tom interplay, snare ghost notes",
     {"kick": "...x...x...x...x", "sn": "..o..o.X..o.o..X", "rim": "X..X..X.....X.X.", "cy": "x.x.x.x.x.x.x.x."}, {}),
    ("latin", "reggaeton", "dembow: kick four-on-the-floor, snare on the a of 1 and the and of 2",
     {"kick": "X...X...X...X...", "sn": "...X..X....X..X.", "hh": "x.x.x.x.x.x.x.x."}, {}),
    ("latin", "cha-cha", "cha-cha-cha: cowbell-like cymbal on beats, guiro-like hats, toms on 4-and",
     {"cy": "X...X...X...X...", "hh": "x.xxx.xxx.xxx.xx", "tom": "............X.X.", "kick": "X.......X......."}, {}),
]


def grid_arrays(parts: dict, late: dict) -> tuple[np.ndarray, np.ndarray]:
    """(velocity (8, 16), offset (8, 16)) for one corpus bar."""
    vel = np.zeros((len(DRUM_KINDS), 16), np.float32)
    off = np.zeros((len(DRUM_KINDS), 16), np.float32)
    for short, grid in parts.items():
        if len(grid) != 16:
            raise ValueError(f"grid for {short} has {len(grid)} steps, expected 16")
        row = DRUM_KINDS.index(_S[short])
        vel[row] = [LEVELS[c] for c in grid]
        off[row] = np.where(vel[row] > 0, float(late.get(short, 0.0)), 0.0)
    return vel, off


def corpus_json() -> dict:
    items = []
    for style, name, source, parts, late in CORPUS:
        vel, off = grid_arrays(parts, late)
        items.append({"style": style, "name": name, "source": source,
                      "grid": {_S[k]: v for k, v in parts.items()},
                      "offset": {_S[k]: v for k, v in late.items()}})
    return {"format": "desktop_gan pattern corpus", "version": 1, "steps_per_bar": 16,
            "parts": list(DRUM_KINDS), "styles": list(PATTERN_STYLES), "levels": LEVELS,
            "licence": "written for desktop_gan; same licence as the project",
            "note": "grids written by hand from the genres' textbook patterns; no recording or MIDI copied",
            "patterns": items}


def load_corpus(path: str | Path | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(velocity (N, 8, 16), offset (N, 8, 16), style ids (N,)) from corpus.json (or the built-in)."""
    data = json.loads(Path(path).read_text()) if path else corpus_json()
    vs, os_, ys = [], [], []
    inv = {v: k for k, v in _S.items()}
    for item in data["patterns"]:
        parts = {inv[k]: g for k, g in item["grid"].items()}
        late = {inv[k]: v for k, v in item.get("offset", {}).items()}
        v, o = grid_arrays(parts, late)
        vs.append(v)
        os_.append(o)
        ys.append(PATTERN_STYLES.index(item["style"]))
    return np.stack(vs), np.stack(os_), np.asarray(ys, np.int64)


def augment(vel, off, styles, style: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """One new bar of ``style``: part-wise crossover of two bars, ghost/velocity/timing jitter."""
    idx = np.nonzero(styles == style)[0]
    a, b = rng.choice(idx, 2)
    take_b = rng.random(len(DRUM_KINDS)) < 0.3
    v = np.where(take_b[:, None], vel[b], vel[a]).copy()
    o = np.where(take_b[:, None], off[b], off[a]).copy()
    ghosts = (v > 0) & (v < 0.5) & (rng.random(v.shape) < 0.3)
    v[ghosts] = 0.0
    add = (v == 0) & (rng.random(v.shape) < 0.015)
    v[add] = 0.4
    hit = v > 0
    v[hit] = np.clip(v[hit] + rng.normal(0, 0.06, hit.sum()), 0.25, 1.0)
    o[hit] = np.clip(o[hit] + rng.normal(0, 0.03, hit.sum()), -0.45, 0.45)
    return v.astype(np.float32), o.astype(np.float32)


class PatternsTask:
    """GanTask for ``models/patterns.py`` (tiny: ~1 min on one CPU thread for 3,000 steps)."""

    name = "patterns"

    def __init__(self, data_dir=None, from_model=None, **overrides) -> None:
        self.corpus_path = Path(data_dir) if data_dir else None
        self.cfg = {"batch": 64, "lr": 2e-4, "betas": (0.5, 0.9), "latent": 32, "hidden": 256, "seed": 0,
                    "instance_noise": 0.05, "moment_weight": 1.0, "seek_weight": 0.5, **overrides}

    def config(self) -> dict:
        return dict(self.cfg)

    def build(self, device) -> dict[str, Any]:
        from desktop_gan.models.patterns import PatternDiscriminator, PatternGenerator

        vel, off, styles = load_corpus(self.corpus_path)
        gen = PatternGenerator(self.cfg["latent"], self.cfg["hidden"], len(PATTERN_STYLES), len(styles))
        gen.set_corpus(vel, off, styles)
        return {"generator": gen.to(device),
                "discriminator": PatternDiscriminator(self.cfg["hidden"]).to(device)}

    def optimisers(self, modules: dict) -> dict[str, Any]:
        import torch

        b = tuple(self.cfg["betas"])
        return {k: torch.optim.Adam(modules[k].parameters(), self.cfg["lr"], betas=b)
                for k in ("generator", "discriminator")}

    def batches(self, rank: int, world: int, seed: int) -> Iterator[Any]:
        import torch

        vel, off, styles = load_corpus(self.corpus_path)
        rng = np.random.default_rng([seed, rank])
        while True:
            ys = rng.integers(0, len(PATTERN_STYLES), self.cfg["batch"])
            pairs = [augment(vel, off, styles, int(y), rng) for y in ys]
            yield {"vel": torch.from_numpy(np.stack([p[0] for p in pairs])),
                   "off": torch.from_numpy(np.stack([p[1] for p in pairs])),
                   "style": torch.from_numpy(ys.astype(np.int64)),
                   "z": torch.from_numpy(rng.standard_normal((len(ys), self.cfg["latent"])).astype(np.float32))}

    def d_step(self, modules, batch, device):
        import torch
        import torch.nn.functional as F

        g, d = modules["generator"], modules["discriminator"]
        fv, fo = g(batch["z"], batch["style"])
        batch["_fake"] = (fv, fo)
        noise = self.cfg["instance_noise"]
        real = d(batch["vel"] + noise * torch.randn_like(fv), batch["off"], batch["style"])
        fake = d(fv.detach() + noise * torch.randn_like(fv), fo.detach(), batch["style"])
        loss = F.relu(1 - real).mean() + F.relu(1 + fake).mean()
        return loss, {"d": float(loss.detach())}

    def g_step(self, modules, batch, device):
        fv, fo = batch.pop("_fake", None) or modules["generator"](batch["z"], batch["style"])
        import torch

        noise = self.cfg["instance_noise"]
        adv = -modules["discriminator"](fv + noise * torch.randn_like(fv), fo, batch["style"]).mean()
        # density matching per style and part (keeps hats busy and claps sparse as in the corpus)
        dens = ((fv > 0.2).float().mean(2) - (batch["vel"] > 0).float().mean(2)).abs().mean()
        rv, ro = batch["vel"], batch["off"]
        # moment matching per part: density and timing offsets as in the corpus
        moments = (fv.mean(2) - rv.mean(2)).abs().mean() + ((fo * fv).mean((0, 2)) - (ro * rv).mean((0, 2))).abs().mean()
        # mode seeking (MSGAN): different latents must give different bars
        h = len(fv) // 2
        seek = (fv[:h] - fv[h:2 * h]).abs().mean() / (batch["z"][:h] - batch["z"][h:2 * h]).abs().mean()
        loss = adv + self.cfg["moment_weight"] * moments - self.cfg["seek_weight"] * seek
        return loss, {"g_adv": float(adv.detach()), "density_gap": float(dens), "seek": float(seek.detach())}

    def evaluate(self, modules, device) -> EvalResult:
        import torch

        vel, _, styles = load_corpus(self.corpus_path)
        g = modules["generator"].eval()
        metrics = {}
        with torch.no_grad():
            for s, style in enumerate(PATTERN_STYLES):
                z = torch.randn(64, self.cfg["latent"], generator=torch.Generator().manual_seed(s))
                fv, _ = g(z, torch.full((64,), s))
                hits = (fv > 0.2).float().mean((0, 2)).numpy()
                real = (vel[styles == s] > 0).mean((0, 2))
                metrics[f"density_gap/{style}"] = float(np.abs(hits - real).mean())
        g.train()
        metrics["density_gap"] = float(np.mean(list(metrics.values())))
        return EvalResult(metrics, [])

    def export(self, modules, path, record: dict) -> None:
        from desktop_gan.io.modelfile import save_model
        from desktop_gan.models.drums import state_to_numpy

        config = {"kind": "patterns", "version": 1, "latent": self.cfg["latent"], "hidden": self.cfg["hidden"],
                  "parts": list(DRUM_KINDS), "styles": list(PATTERN_STYLES), "steps": 16,
                  "training": {**record, "task": self.config(), "corpus": "resources/patterns/corpus.json"}}
        save_model(path, state_to_numpy(modules["generator"]), config)


def main(argv=None) -> int:
    import argparse

    ap = argparse.ArgumentParser(description="write the pattern corpus JSON")
    ap.add_argument("--write", type=Path, default=Path("resources/patterns/corpus.json"))
    args = ap.parse_args(argv)
    args.write.parent.mkdir(parents=True, exist_ok=True)
    args.write.write_text(json.dumps(corpus_json(), indent=1) + "\n")
    print(f"{len(CORPUS)} patterns -> {args.write}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
