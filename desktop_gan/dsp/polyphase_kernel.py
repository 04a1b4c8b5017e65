"""The polyphase resampler's inner loop, compiled (numba): used by ``stream_resample``.

A numpy version gathered a (outputs x taps) index array per block, some 300 kB at 44.1 kHz, and cost
more than the enhancer model itself on a 10 ms block. Here each output sample is one loop over its
taps (float32, vectorised: the summation order depends only on the number of taps, never on the
block, so streaming still equals offline exactly).
"""

from __future__ import annotations

import numpy as np
from numba import njit


@njit(cache=True, fastmath={"reassoc", "contract"}, nogil=True)  # the audio callbacks need the GIL meanwhile
def polyphase(buf, phases, m0, m1, n_in, up, down, out):
    """Outputs ``m0 .. m1-1`` of a resampler by ``up/down`` into ``out`` (m1 - m0, channels).

    Output ``m`` sits at input position ``m * down / up``: input sample ``i = m * down // up`` with
    phase ``p = m * down % up``, and is ``sum_j buf[i - j] * phases[p, j]``. ``buf`` (frames, channels)
    holds input samples from ``n_in - (taps - 1)`` on (the history, then the new block).
    """
    k = phases.shape[1]
    first = n_in - (k - 1)  # the input index of buf[0]
    for r in range(m1 - m0):
        pos = (m0 + r) * down
        b = pos // up - first
        p = pos % up
        for c in range(buf.shape[1]):
            acc = np.float32(0.0)
            for j in range(k):
                acc += buf[b - j, c] * phases[p, j]
            out[r, c] = acc
