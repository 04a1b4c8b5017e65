"""Tempo-exact loop rendering and the ``LoopSketch`` (lanes of sound latents + patterns).

Rendering contract (``render_loop``):

* length is exactly ``LoopParams.length_samples`` (bars * 4 * 60 / BPM seconds, rounded);
* a 16th lasts ``length / (bars * 16)`` samples (a float: no drift over the loop); step ``s`` of a
  part lands at ``round((s + swing * (s odd) + offset) * step)`` samples;
* every hit is added circularly: what rings past the end is folded onto the start, so the loop
  played back to back equals the same pattern played forever (no click, no gap);
* one gain for the whole loop brings its peak to at most -1 dBFS (never clips, and a single gain
  keeps the wrap seamless and the stems summing exactly to the mix);
* pure numpy, no randomness: the same inputs give the same samples bit for bit.

``LoopSketch`` holds one lane per drum kind: the sound's latent and noise seed, the pattern latent,
locks, mute/solo/level. Sounds come from the drum GAN (``models/drums``), bars from the pattern GAN
(``models/patterns``); both are drawn from seeds, so a sketch is recalled from its JSON state.
"""

from __future__ import annotations

import copy
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np

from desktop_gan.core.params import DRUM_KINDS, LoopParams

PEAK = 10 ** (-1 / 20)  # -1 dBFS


def hit_positions(n_steps: int, length: int, swing: float, offsets=None) -> np.ndarray:
    """Sample index of each step (before wrapping), swing delaying odd 16ths."""
    step = length / float(n_steps)
    s = np.arange(n_steps, dtype=np.float64)
    pos = s + swing * (s % 2 == 1)
    if offsets is not None:
        pos = pos + np.asarray(offsets, np.float64)
    return np.rint(pos * step).astype(np.int64)


def _add_circular(buf: np.ndarray, sound: np.ndarray, start: int, gain: float) -> None:
    n = len(buf)
    start %= n
    pos, i = start, 0
    while i < len(sound):
        take = min(n - pos, len(sound) - i)
        buf[pos:pos + take] += gain * sound[i:i + take]
        i += take
        pos = 0


def render_stems(sounds, velocity, offset, params: LoopParams, levels=None, active=None,
                 cycles: int | None = None) -> np.ndarray:
    """Un-normalised stems (parts, N) in float64. ``cycles`` (tests): play the loop that many
    times on a linear timeline without wrapping, N = cycles * length."""
    length = params.length_samples
    velocity = np.asarray(velocity, np.float64)
    offset = np.zeros_like(velocity) if offset is None else np.asarray(offset, np.float64)
    n_parts, n_steps = velocity.shape
    if n_steps != params.bars * 16:
        raise ValueError(f"pattern has {n_steps} steps; {params.bars} bars need {params.bars * 16}")
    total = length * (cycles or 1)
    stems = np.zeros((n_parts, total), np.float64)
    for p in range(n_parts):
        if (active is not None and not active[p]) or sounds[p] is None:
            continue
        level = 1.0 if levels is None else float(levels[p])
        snd = np.asarray(sounds[p], np.float64)
        pos = hit_positions(n_steps, length, params.swing, offset[p])
        for s in np.nonzero(velocity[p] > 0)[0]:
            gain = level * float(velocity[p, s]) ** 1.5
            if cycles is None:
                _add_circular(stems[p], snd, int(pos[s]), gain)
            else:
                for c in range(cycles):
                    a = int(pos[s]) + c * length
                    if a < 0:
                        continue
                    b = min(total, a + len(snd))
                    stems[p, a:b] += gain * snd[: b - a]
    return stems


def render_loop(sounds, velocity, offset, params: LoopParams, levels=None, active=None
                ) -> tuple[np.ndarray, np.ndarray]:
    """(mix (N,) float32, stems (parts, N) float32) for sounds already at ``params.samplerate``."""
    stems = render_stems(sounds, velocity, offset, params, levels, active)
    mix = stems.sum(axis=0)
    peak = float(np.max(np.abs(mix))) if mix.size else 0.0
    gain = PEAK / peak if peak > PEAK else 1.0
    stems = (stems * gain).astype(np.float32)
    # the mix is the float32 sum of the float32 stems, so stems sum to the mix exactly
    return stems.sum(axis=0, dtype=np.float32), stems


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    if sr_in == sr_out:
        return x
    import soxr

    return soxr.resample(np.asarray(x, np.float32), sr_in, sr_out, quality="HQ").astype(np.float32)


# ---------------------------------------------------------------------------------------------
@dataclass
class Lane:
    kind: str
    z: list[float]
    sound_seed: int
    pattern_z: list[float]
    lock_sound: bool = False
    lock_pattern: bool = False
    mute: bool = False
    solo: bool = False
    level: float = 1.0
    # morph anchors: the sound before the last change (a) and the one that replaced it (b)
    morph_a: list[float] = field(default_factory=list)
    morph_b: list[float] = field(default_factory=list)
    morph_seeds: list[int] = field(default_factory=list)  # [seed of a, seed of b]


@dataclass
class SketchState:
    params: dict
    lanes: list[Lane] = field(default_factory=list)
    draws: int = 0


def _rng(*keys: int) -> np.random.Generator:
    return np.random.default_rng([int(k) & 0xFFFFFFFF for k in keys])


class LoopSketch:
    """A loop being sketched: lanes per drum kind, regenerated per lane, rendered on demand."""

    def __init__(self, drum_gen, pattern_gen, params: LoopParams):
        self.drum_gen, self.pattern_gen = drum_gen, pattern_gen
        self.params = params
        self.lanes: list[Lane] = []
        self._draws = 0
        self._sounds: dict[int, tuple[tuple, np.ndarray]] = {}
        self.new(params.seed)

    # -- construction -------------------------------------------------------------------------
    @classmethod
    def from_models(cls, params: LoopParams, drums_path=None, patterns_path=None, device: str = "cpu") -> "LoopSketch":
        """The shipped (or given) models on ``device`` (the inference worker's: CUDA when present)."""
        return cls(load_drums(drums_path).to(device), load_patterns(patterns_path).to(device), params)

    def _draw_seed(self) -> int:
        self._draws += 1
        return int(_rng(self.params.seed, self._draws, 99).integers(2**31))

    def new(self, seed: int | None = None) -> None:
        """A new loop from ``seed``: every unlocked sound and pattern drawn again."""
        if seed is not None:
            from dataclasses import replace

            self.params = replace(self.params, seed=int(seed))
            self._draws = 0
        seed = self.params.seed
        pz = _rng(seed, 1).standard_normal(self.pattern_gen.latent).tolist()
        old = {l.kind: l for l in self.lanes}
        lanes = []
        for i, kind in enumerate(DRUM_KINDS):
            lane = old.get(kind) or Lane(kind, [], 0, [])
            if not lane.lock_sound or not lane.z:
                before = (list(lane.z), lane.sound_seed)
                lane.z = _rng(seed, 2, i).standard_normal(self.drum_gen.latent).tolist()
                lane.sound_seed = int(_rng(seed, 3, i).integers(2**31))
                if before[0]:
                    _anchor(lane, *before)
            if not lane.lock_pattern or not lane.pattern_z:
                lane.pattern_z = list(pz)
            lanes.append(lane)
        self.lanes = lanes

    def set_params(self, params: LoopParams) -> None:
        """New tempo/bars/swing/rate/style; lanes stay (style changes the pattern, not the sound)."""
        self.params = params

    # -- per-lane edits -----------------------------------------------------------------------
    def lane(self, which) -> Lane:
        return self.lanes[DRUM_KINDS.index(which) if isinstance(which, str) else int(which)]

    def regenerate_sound(self, which, seed: int | None = None) -> bool:
        lane = self.lane(which)
        if lane.lock_sound:
            return False
        seed = self._draw_seed() if seed is None else seed
        before = (list(lane.z), lane.sound_seed)
        lane.z = _rng(seed, 5).standard_normal(self.drum_gen.latent).tolist()
        lane.sound_seed = int(_rng(seed, 6).integers(2**31))
        _anchor(lane, *before)
        return True

    def regenerate_pattern(self, which, seed: int | None = None) -> bool:
        lane = self.lane(which)
        if lane.lock_pattern:
            return False
        seed = self._draw_seed() if seed is None else seed
        lane.pattern_z = _rng(seed, 7).standard_normal(self.pattern_gen.latent).tolist()
        return True

    def variation(self, which, amount: float, seed: int | None = None) -> bool:
        """Move the lane's sound latent by ``amount`` (0-1) in a random direction (norm-kept)."""
        lane = self.lane(which)
        if lane.lock_sound:
            return False
        seed = self._draw_seed() if seed is None else seed
        z = np.asarray(lane.z)
        d = _rng(seed, 8).standard_normal(len(z))
        before = (list(lane.z), lane.sound_seed)
        lane.z = (np.cos(amount * np.pi / 2) * z + np.sin(amount * np.pi / 2) * d).tolist()
        _anchor(lane, *before)
        return True

    def morph(self, which, z_other, t: float) -> None:
        """Spherical interpolation of the lane's latent towards ``z_other`` (t = 0..1)."""
        lane = self.lane(which)
        lane.z = slerp(np.asarray(lane.z), np.asarray(z_other), t).tolist()

    def morph_previous(self, which, t: float) -> bool:
        """Set the lane's sound ``t`` of the way from its previous sound (0) to its newest (1), by
        spherical interpolation of the two latents; the noise seed is the nearer one's. False when
        the lane has no previous sound (nothing changed since the loop was made) or is locked."""
        lane = self.lane(which)
        if lane.lock_sound or not lane.morph_a or not lane.morph_b:
            return False
        t = float(min(1.0, max(0.0, t)))
        ends = {0.0: lane.morph_a, 1.0: lane.morph_b}  # the ends exactly, not up to rounding
        lane.z = list(ends[t]) if t in ends else slerp(np.asarray(lane.morph_a), np.asarray(lane.morph_b), t).tolist()
        lane.sound_seed = int(lane.morph_seeds[1] if t >= 0.5 else lane.morph_seeds[0])
        return True

    def more_like_this(self, which, audio: np.ndarray, samplerate: int, steps: int = 40) -> None:
        """Invert a dropped sound into the lane's latent (log-mel matching; a few dozen steps)."""
        import torch

        from desktop_gan.models.drums import SR, invert

        lane = self.lane(which)
        x = np.asarray(audio, np.float32)
        x = x.mean(axis=1) if x.ndim == 2 else x
        x = resample(x, int(samplerate), SR)
        onset = int(np.argmax(np.abs(x) > 0.05 * max(1e-6, float(np.max(np.abs(x))))))
        x = x[max(0, onset - SR // 500):]
        z = invert(self.drum_gen, torch.from_numpy(x), DRUM_KINDS.index(lane.kind), lane.sound_seed, steps)
        before = (list(lane.z), lane.sound_seed)
        lane.z = z[0].tolist()
        _anchor(lane, *before)

    # -- rendering ------------------------------------------------------------------------------
    def sounds(self) -> list[np.ndarray]:
        """Each lane's one-shot at the loop's sample rate (cached per latent and seed)."""
        import torch

        from desktop_gan.models.drums import SR, generate

        keys = [(tuple(l.z), l.sound_seed, self.params.samplerate) for l in self.lanes]
        todo = [i for i, k in enumerate(keys) if self._sounds.get(i, (None,))[0] != k]
        if todo:
            z = torch.tensor([self.lanes[i].z for i in todo], dtype=torch.float32)
            kinds = torch.tensor([DRUM_KINDS.index(self.lanes[i].kind) for i in todo])
            y = generate(self.drum_gen, z, kinds, [self.lanes[i].sound_seed for i in todo]).cpu().numpy()
            for row, i in enumerate(todo):
                self._sounds[i] = (keys[i], resample(y[row], SR, self.params.samplerate))
        return [self._sounds[i][1] for i in range(len(self.lanes))]

    def pattern(self) -> tuple[np.ndarray, np.ndarray]:
        """(velocity, offset), each (lanes, bars*16), for the current style and bars."""
        from desktop_gan.models.patterns import sample_pattern

        cache: dict[tuple, tuple[np.ndarray, np.ndarray]] = {}
        vel = np.zeros((len(self.lanes), self.params.bars * 16))
        off = np.zeros_like(vel)
        for i, lane in enumerate(self.lanes):
            key = tuple(lane.pattern_z)
            if key not in cache:
                cache[key] = sample_pattern(self.pattern_gen, self.params.style, np.asarray(lane.pattern_z),
                                            self.params.bars, fill_seed=self.params.seed)
            vel[i], off[i] = cache[key][0][i], cache[key][1][i]
        return vel, off

    def active(self) -> list[bool]:
        solo = any(l.solo for l in self.lanes)
        return [(l.solo if solo else True) and not l.mute for l in self.lanes]

    def render(self) -> tuple[np.ndarray, np.ndarray]:
        vel, off = self.pattern()
        return render_loop(self.sounds(), vel, off, self.params, [l.level for l in self.lanes], self.active())

    # -- state ------------------------------------------------------------------------------------
    def state(self) -> dict:
        return asdict(SketchState(asdict(self.params), copy.deepcopy(self.lanes), self._draws))

    def restore(self, state: dict) -> None:
        self.params = LoopParams(**state["params"])
        self.lanes = [Lane(**l) for l in state["lanes"]]
        self._draws = int(state.get("draws", 0))


def _anchor(lane: Lane, z_before: list, seed_before: int) -> None:
    """Remember the sound a change replaced, so the lane can morph between the two."""
    lane.morph_a, lane.morph_b = list(z_before), list(lane.z)
    lane.morph_seeds = [int(seed_before), int(lane.sound_seed)]


def slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    na, nb = np.linalg.norm(a), np.linalg.norm(b)
    cos = float(np.dot(a, b) / max(na * nb, 1e-9))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-4:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def load_drums(path=None):
    from desktop_gan.io.modelfile import load_model
    from desktop_gan.io.paths import shipped_model
    from desktop_gan.models.drums import generator_from_tensors

    tensors, config = load_model(Path(path) if path else shipped_model("drums"), "drums")
    return generator_from_tensors(tensors, config)


def load_patterns(path=None):
    from desktop_gan.io.modelfile import load_model
    from desktop_gan.io.paths import shipped_model
    from desktop_gan.models.patterns import generator_from_tensors

    tensors, config = load_model(Path(path) if path else shipped_model("patterns"), "patterns")
    return generator_from_tensors(tensors, config)
