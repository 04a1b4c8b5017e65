"""A streaming rational resampler (polyphase FIR, its loop compiled in ``polyphase_kernel``) with an
exact, integer round-trip delay.

``pair(rate_in, rate_model)`` returns an up and a down resampler sharing one low-pass prototype at the
common rate ``rate_in * L``. Its length is ``K*L + 1`` taps, so the two filters together delay the
signal by exactly ``K`` samples at ``rate_in``; a model in between that delays by ``D`` samples at
``rate_model`` makes the whole chain an integer ``K + D * rate_in / rate_model`` (true for 16, 22.05,
44.1 and 96 kHz with a 960-sample delay at 48 kHz). Output depends only on the input, never on how it
was split into blocks: each output sample is computed once, when its last input sample arrives.
"""

from __future__ import annotations

from math import gcd

import numpy as np
from scipy.signal import firwin


class PolyphaseResampler:
    """Resample by ``up/down`` with prototype ``taps`` designed at ``up`` x the input rate."""

    def __init__(self, up: int, down: int, taps: np.ndarray) -> None:
        self.up, self.down = up, down
        k = int(np.ceil(len(taps) / up))
        h = np.zeros(k * up, np.float64)
        h[: len(taps)] = taps * up
        # taps[p, j] = h[p + (k-1-j)*up]: phase p's coefficients, the oldest input sample's first
        self.taps = np.ascontiguousarray(h.reshape(k, up).T[:, ::-1], np.float32)
        self.k = k
        # numba's import takes about 0.3 s: only a running resampler needs it
        from desktop_gan.dsp.polyphase_kernel import polyphase

        self._polyphase = polyphase
        self.reset()

    def reset(self) -> None:
        self._hist: np.ndarray | None = None  # last k-1 input samples (channels, frames)
        self._n_in = 0
        self._m_out = 0

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        if x.ndim == 1:
            x = x[:, None]
        if self._hist is None:
            self._hist = np.zeros((x.shape[1], self.k - 1), np.float32)
        buf = np.concatenate([self._hist, x.T], axis=1)  # channels first, C-contiguous
        n_total = self._n_in + len(x)
        m_end = (n_total * self.up - 1) // self.down + 1 if n_total > 0 else 0
        y = np.empty((max(0, m_end - self._m_out), x.shape[1]), np.float32)
        if len(y):
            self._polyphase(buf, self.taps, self._m_out, m_end, self._n_in, self.up, self.down, y)
        self._hist = buf[:, buf.shape[1] - (self.k - 1):]
        self._n_in, self._m_out = n_total, m_end
        return y


def pair(rate_in: int, rate_model: int, width: int = 86) -> tuple[PolyphaseResampler, PolyphaseResampler, int]:
    """(to_model, from_model, round_trip_delay_in_input_samples).

    Pass band to 90 % of the lower Nyquist, about 70 dB stop band (Kaiser beta 6.8); ``width`` sets
    the filter length, ``width`` samples of the lower rate per filter.
    """
    g = gcd(rate_in, rate_model)
    up, down = rate_model // g, rate_in // g  # to_model: rate_in * up / down = rate_model
    k = width * rate_in // min(rate_in, rate_model)  # round-trip delay in input samples
    n = k * up + 1
    cutoff = 0.9 * min(rate_in, rate_model) / 2
    taps = firwin(n, cutoff, window=("kaiser", 6.8), fs=rate_in * up)
    return PolyphaseResampler(up, down, taps), PolyphaseResampler(down, up, taps), k
