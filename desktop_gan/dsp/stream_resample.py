"""A streaming rational resampler (polyphase FIR, numpy) with an exact, integer round-trip delay.

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
        self.phases = h.reshape(k, up).T.astype(np.float32)  # phases[p, j] = h[p + j*up]
        self.k = k
        self.reset()

    def reset(self) -> None:
        self._hist: np.ndarray | None = None  # last k-1 input samples (frames, channels)
        self._n_in = 0
        self._m_out = 0

    def process(self, x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, np.float32)
        if x.ndim == 1:
            x = x[:, None]
        if self._hist is None:
            self._hist = np.zeros((self.k - 1, x.shape[1]), np.float32)
        buf = np.concatenate([self._hist, x])
        n_total = self._n_in + len(x)
        m_end = (n_total * self.up - 1) // self.down + 1 if n_total > 0 else 0
        m = np.arange(self._m_out, m_end)
        pos = m * self.down
        i = pos // self.up
        p = pos % self.up
        base = i - (self._n_in - (self.k - 1))  # index of input sample i inside buf
        if not len(m):
            y = np.zeros((0, x.shape[1]), np.float32)
        elif self.up <= 4:
            y = self._by_phase(buf, m, base, p)
        else:
            idx = base[:, None] - np.arange(self.k)[None, :]
            ph = self.phases[p]
            y = np.stack([np.einsum("mk,mk->m", buf[:, c][idx], ph) for c in range(buf.shape[1])], axis=1)
        self._hist = buf[len(buf) - (self.k - 1):] if self.k > 1 else buf[:0]
        self._n_in, self._m_out = n_total, m_end
        return y.astype(np.float32)

    def _by_phase(self, buf: np.ndarray, m: np.ndarray, base: np.ndarray, p: np.ndarray) -> np.ndarray:
        """Few phases (2x, 3x up or down): the outputs of one phase read input windows at a fixed
        stride, so they are strided views of the buffer instead of gathered copies. Each output is
        the same length-k sum in the same order as on the general path, whatever the block."""
        from numpy.lib.stride_tricks import sliding_window_view

        y = np.empty((len(m), buf.shape[1]), np.float32)
        rev = self.phases[:, ::-1]
        for c in range(buf.shape[1]):
            win = sliding_window_view(np.ascontiguousarray(buf[:, c]), self.k)  # win[j] = buf[j:j+k]
            for first in range(min(self.up, len(m))):
                rows = slice(first, None, self.up)  # every up-th output has the same phase
                starts = base[rows] - (self.k - 1)
                step = int(starts[1] - starts[0]) if len(starts) > 1 else 1
                w = win[starts[0]: starts[-1] + 1: step]
                y[rows, c] = np.einsum("mk,k->m", w, rev[p[first]])
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
