"""Streaming speech enhancer: ``process(block) -> block`` at any supported rate (numpy around one
compiled kernel, ``frame_kernel.run_frames``).

Signal flow for one block at the host rate ``r``::

    x --+--> [resample r->48k] -> STFT -> band gains (GRU) -> ISTFT -> [48k->r] ------> wet
        +--> delay line (latency_samples) ------------------------------------------------> dry
    out = listen(mix * wet + (1 - mix) * dry | residue = dry - that | dry), bypass crossfaded

The model runs frame by frame from the exported weights (no torch at run time), all frames of a
block in one compiled call. Each stage computes each output sample exactly once, when its last input
sample has arrived, so the output never depends on how the input was split into blocks, and the
latency is a fixed integer number of samples: one 20 ms window at 48 kHz, plus the resampler's round
trip at other rates. Stereo is either 'mid' (gains computed on the mid signal, applied to both
channels: the image stays put) or 'per-channel' (independent model state per channel). Parameters
arrive as a whole ``EnhanceParams`` object; the attenuation limit floors the gains, so
``strength_db=0`` is transparent.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from desktop_gan.core.params import EnhanceParams
from desktop_gan.dsp.stft import dft_tables, erb_filterbank, sqrt_hann
from desktop_gan.dsp.stream_resample import pair
from desktop_gan.io.modelfile import ModelFileError, load_model

BYPASS_FADE_S = 0.01


def default_model_path() -> Path:
    return Path(__file__).resolve().parents[2] / "resources" / "models" / "enhancer.safetensors"


class BandGainModel:
    """The generator's weights and settings, checked and laid out for ``frame_kernel`` (which mirrors
    ``models.enhancer``)."""

    def __init__(self, tensors: dict[str, np.ndarray], config: dict, name: str = "model") -> None:
        m = config.get("model")
        try:
            self.win, self.hop = int(m["win"]), int(m["hop"])
            self.nb, self.hidden, self.layers = int(m["n_bands"]), int(m["hidden"]), int(m["layers"])
            self.samplerate = int(m["samplerate"])
            self.alpha, self.init = np.float32(m["norm_alpha"]), float(m["norm_init"])
            self.fine, fine_hidden = int(m.get("fine_bins", 0)), int(m.get("fine_hidden", 0))
        except (TypeError, KeyError, ValueError):
            raise ModelFileError(f"{name}: config lacks the enhancer's model settings") from None
        if config.get("latency_samples") != self.win or config.get("hop") != self.hop:
            raise ModelFileError(f"{name}: config latency/hop do not match its model settings")
        f = self.win // 2 + 1
        expect = {"inp.weight": (self.hidden, 2 * self.nb), "inp.bias": (self.hidden,),
                  "out.weight": (self.nb, self.hidden), "out.bias": (self.nb,)}
        if not 0 <= self.fine <= f:
            raise ModelFileError(f"{name}: fine_bins must be 0-{f}")
        if self.fine:
            expect.update({"fine_in.weight": (fine_hidden, self.hidden + self.fine), "fine_in.bias": (fine_hidden,),
                           "fine_out.weight": (self.fine, fine_hidden), "fine_out.bias": (self.fine,)})
        for layer in range(self.layers):
            expect[f"gru.weight_ih_l{layer}"] = (3 * self.hidden, self.hidden)
            expect[f"gru.weight_hh_l{layer}"] = (3 * self.hidden, self.hidden)
            expect[f"gru.bias_ih_l{layer}"] = (3 * self.hidden,)
            expect[f"gru.bias_hh_l{layer}"] = (3 * self.hidden,)
        for key, shape in expect.items():
            if key not in tensors or tuple(tensors[key].shape) != shape:
                raise ModelFileError(f"{name}: weights do not match the config ({key})")
        t = {k: np.asarray(v, np.float32) for k, v in tensors.items()}
        if self.fine:
            fine_w = (t["fine_in.weight"].T, t["fine_in.bias"], t["fine_out.weight"].T, t["fine_out.bias"])
        else:  # the kernel takes arrays of the same ranks either way
            fine_w = (np.zeros((0, 0)), np.zeros(0), np.zeros((0, 0)), np.zeros(0))
        gru = [np.stack([t[f"gru.{name}_l{i}"].T for i in range(self.layers)])  # (layers, in, out) / (layers, out)
               for name in ("weight_ih", "weight_hh", "bias_ih", "bias_hh")]
        pool, interp = erb_filterbank(f, self.samplerate, self.nb)
        # kernel order: pool (bins, bands), interp, input layer, GRU (ih, hh weights; ih, hh biases),
        # output layer, fine head; every matrix as (inputs, outputs), float32, C order
        self.weights = tuple(np.ascontiguousarray(a, np.float32) for a in (
            pool.T, interp, t["inp.weight"].T, t["inp.bias"], *gru, t["out.weight"].T, t["out.bias"], *fine_w))
        self.tables = dft_tables(self.win)
        self.params = sum(v.size for v in tensors.values())

    def initial_state(self, streams: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        return (np.zeros((self.layers, streams, self.hidden), np.float32),
                np.full((streams, self.nb), self.init, np.float32),
                np.full((streams, self.fine), self.init, np.float32))


def load_band_gain_model(model: str | os.PathLike | tuple | None) -> tuple[BandGainModel, dict]:
    """A model file (None: the shipped one) or ``(tensors, config)``, checked against its config and
    laid out for the kernel, with that config. Raises ``ModelFileError`` for a file that is not one."""
    if isinstance(model, tuple):
        tensors, config = model
        name = "model"
    else:
        path = Path(model) if model is not None else default_model_path()
        tensors, config = load_model(path, kind="enhancer")
        name = path.name
    return BandGainModel(tensors, config, name), config


class _Core:
    """The model at its own rate: any block size in, same size out, latency = one window."""

    def __init__(self, model: BandGainModel, channels: int, link: str) -> None:
        # numba's import takes about 0.3 s: only a running enhancer needs it, not a model check
        from desktop_gan.runtime.frame_kernel import run_frames

        self._run_frames = run_frames
        self.m, self.ch, self.mid = model, channels, link == "mid"
        self.window = sqrt_hann(model.win)  # float32
        self.streams = 1 if self.mid else channels
        self.reset()

    def reset(self) -> None:
        w, h = self.m.win, self.m.hop
        self._in = np.zeros((w - h, self.ch), np.float32)
        self._ola = np.zeros((w, self.ch), np.float32)
        self._out = np.zeros((h, self.ch), np.float32)  # one hop of priming: blocks of any size
        self._state = self.m.initial_state(self.streams)

    def process(self, x: np.ndarray, floor: float) -> np.ndarray:
        """All whole frames that have arrived in one compiled call (``frame_kernel.run_frames``)."""
        m = self.m
        w, h = m.win, m.hop
        buf = np.concatenate([self._in, x])
        t = (len(buf) - (w - h)) // h
        if t > 0:
            y = np.empty((t * h, self.ch), np.float32)
            self._run_frames(buf, t, h, self.window, self._ola, y, self.mid, *self._state, m.alpha,
                             np.float32(floor), m.weights, m.tables)
            out = np.concatenate([self._out, y])
            self._in = buf[t * h:]
        else:
            out = self._out
            self._in = buf
        self._out = out[len(x):]
        return out[: len(x)]


class StreamingEnhancer:
    """Live enhancer for one stream of mono or stereo audio at 16-96 kHz."""

    def __init__(self, model: str | os.PathLike | tuple | None = None, samplerate: int = 48000,
                 channels: int = 1, stereo: str = "mid", params: EnhanceParams | None = None) -> None:
        self.model, config = load_band_gain_model(model)
        if stereo not in ("mid", "per-channel"):
            raise ValueError("stereo must be 'mid' or 'per-channel'")
        if not 1 <= channels <= 8:
            raise ValueError("channels must be 1-8")
        self.config = config
        self.samplerate, self.channels = int(samplerate), int(channels)
        mr = self.model.samplerate
        self._core = _Core(self.model, self.channels, stereo)
        core_delay = self.model.win * self.samplerate / mr
        if self.samplerate != mr:
            if (self.model.win * self.samplerate) % mr:
                raise ValueError(f"{self.samplerate} Hz is not supported (latency would not be whole samples)")
            self._up, self._down, k = pair(self.samplerate, mr)
        else:
            self._up = self._down = None
            k = 0
        self.latency_samples = int(k + core_delay)
        self.params = params or EnhanceParams()
        self.reset()

    @property
    def latency_seconds(self) -> float:
        return self.latency_samples / self.samplerate

    def set_params(self, params: EnhanceParams) -> None:
        self.params = params  # a single reference swap; readers see the old or the new object

    def reset(self) -> None:
        self._core.reset()
        for r in (self._up, self._down):
            if r is not None:
                r.reset()
        self._dry = np.zeros((self.latency_samples, self.channels), np.float32)
        self._wet = np.zeros((0, self.channels), np.float32)
        self._xf = 1.0 if self.params.bypass else 0.0

    def process(self, block: np.ndarray) -> np.ndarray:
        x = np.asarray(block, np.float32)
        mono_in = x.ndim == 1
        x2 = x[:, None] if mono_in else x
        if x2.shape[1] != self.channels:
            raise ValueError(f"expected {self.channels} channel(s), got {x2.shape[1]}")
        n = len(x2)
        p = self.params
        floor = float(10 ** (-p.strength_db / 20))
        y = self._up.process(x2) if self._up is not None else x2
        y = self._core.process(y, floor)
        y = self._down.process(y) if self._down is not None else y
        wet = np.concatenate([self._wet, y])
        self._wet = wet[n:]
        wet = wet[:n]
        dry_buf = np.concatenate([self._dry, x2])
        dry, self._dry = dry_buf[:n], dry_buf[n:]
        if p.listen == "dry":
            out = dry
        else:
            mixed = wet if p.mix == 1.0 else p.mix * wet + (1.0 - p.mix) * dry
            out = dry - mixed if p.listen == "residue" else mixed
        target = 1.0 if p.bypass else 0.0
        if self._xf != target or target == 1.0:
            step = 1.0 / max(1.0, BYPASS_FADE_S * self.samplerate)
            ramp = np.clip(self._xf + np.sign(target - self._xf) * step * np.arange(1, n + 1), 0.0, 1.0)
            self._xf = float(ramp[-1]) if n else self._xf
            out = (1.0 - ramp[:, None]) * out + ramp[:, None] * dry
        out = out.astype(np.float32)
        return out[:, 0] if mono_in else out

    def process_offline(self, audio: np.ndarray, block: int | None = None) -> np.ndarray:
        """Whole signal, latency compensated: output has the input's exact length and alignment."""
        self.reset()
        x = np.asarray(audio, np.float32)
        pad = np.zeros((self.latency_samples,) + x.shape[1:], np.float32)
        full = np.concatenate([x, pad])
        if block is None:
            y = self.process(full)
        else:
            y = np.concatenate([self.process(full[i:i + block]) for i in range(0, len(full), block)])
        return y[self.latency_samples:]
