"""The enhancer's frames as one compiled call (numba): STFT, band-gain model, inverse STFT, overlap-add.

Why compiled: the live worker wakes every few milliseconds for one 10 ms hop, and after that sleep
every numpy call runs 4-5 times slower than warm (caches and branch predictors refilled; measured
in ``benchmarks/RESULTS.md``, stops 11, 14 and 15). A frame done as some eighty numpy calls paid
that on each of them; one compiled call pays it on a few kilobytes of machine code.

The DFT of one frame (``win = n1 * n2`` samples, e.g. 960 = 32 x 30) is a two-stage Cooley-Tukey
with the small DFTs as dense tables (``dsp.stft.dft_tables``, a few kilobytes), the loops laid out so the
compiler vectorises them. The model step is the same computation as ``models.enhancer``
(ERB-band log powers and their running-mean-normalised copy -> Linear -> ReLU -> GRU layers ->
Linear -> sigmoid gains spread to bins, and the fine low-band head), in float32.

Each frame's result depends only on the samples and state before it, never on how many frames came
in one call: the streaming runtime's "chunked equals whole" holds exactly.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit


# Reassociation lets the compiler vectorise the dot products; no approximate functions, no NaN tricks.
_FAST = {"reassoc", "contract", "nsz"}


@njit(cache=True, fastmath=_FAST)
def _rdft(x, tables, out_re, out_im, t_re, t_im):
    """out = rfft(x): x (n1*n2,) real, out (n//2+1,) as re/im; t_re/t_im (n2, n1) scratch."""
    c1, s1, c2, s2, tc, ts = tables
    n1, n2 = c1.shape[0], c2.shape[0]
    half = n1 * n2 // 2
    t_re[:] = 0.0
    t_im[:] = 0.0
    for b in range(n2):  # stage 1: n2 DFTs of n1 samples each (stride n2), then the twiddles
        for a in range(n1):
            xa = x[n2 * a + b]
            for k1 in range(n1):
                t_re[b, k1] += xa * c1[a, k1]
                t_im[b, k1] += xa * s1[a, k1]
        for k1 in range(n1):
            r, i = t_re[b, k1], t_im[b, k1]
            t_re[b, k1] = r * tc[b, k1] - i * ts[b, k1]
            t_im[b, k1] = r * ts[b, k1] + i * tc[b, k1]
    for k2 in range(n2):  # stage 2: n1 DFTs of n2 values, only the bins up to n/2
        if n1 * k2 > half:
            break
        acc_r = np.zeros(n1, np.float32)
        acc_i = np.zeros(n1, np.float32)
        for b in range(n2):
            wr, wi = c2[b, k2], s2[b, k2]
            for k1 in range(n1):
                acc_r[k1] += t_re[b, k1] * wr - t_im[b, k1] * wi
                acc_i[k1] += t_re[b, k1] * wi + t_im[b, k1] * wr
        for k1 in range(n1):
            k = k1 + n1 * k2
            if k <= half:
                out_re[k] = acc_r[k1]
                out_im[k] = acc_i[k1]


@njit(cache=True, fastmath=_FAST)
def _irdft(x_re, x_im, tables, out, f_re, f_im, t_re, t_im):
    """out = irfft(x) (the imaginary parts of DC and Nyquist ignored, as numpy does)."""
    c1, s1, c2, s2, tc, ts = tables
    n1, n2 = c1.shape[0], c2.shape[0]
    n = n1 * n2
    half = n // 2
    for k in range(half + 1):  # the Hermitian spectrum
        f_re[k] = x_re[k]
        f_im[k] = x_im[k]
    for k in range(half + 1, n):
        f_re[k] = x_re[n - k]
        f_im[k] = -x_im[n - k]
    t_re[:] = 0.0
    t_im[:] = 0.0
    for b in range(n2):  # stage 1 (conjugate tables): T[b, k1] = sum_k2 F[k1 + n1 k2] conj(w2[b, k2])
        for k2 in range(n2):
            wr, wi = c2[b, k2], -s2[b, k2]
            base = n1 * k2
            for k1 in range(n1):
                fr, fi = f_re[base + k1], f_im[base + k1]
                t_re[b, k1] += fr * wr - fi * wi
                t_im[b, k1] += fr * wi + fi * wr
        for k1 in range(n1):
            r, i = t_re[b, k1], t_im[b, k1]
            t_re[b, k1] = r * tc[b, k1] + i * ts[b, k1]
            t_im[b, k1] = i * tc[b, k1] - r * ts[b, k1]
    inv = np.float32(1.0 / n)
    for b in range(n2):  # stage 2, real part only: x[n2 a + b] = Re sum_k1 T[b, k1] conj(w1[a, k1]) / n
        for a in range(n1):
            acc = np.float32(0.0)
            for k1 in range(n1):
                acc += t_re[b, k1] * c1[a, k1] + t_im[b, k1] * s1[a, k1]
            out[n2 * a + b] = acc * inv


@njit(cache=True, fastmath=_FAST)
def _affine(x, w, b, out):
    """out = x @ w + b, w (inputs, outputs) row-major."""
    out[:] = b
    for i in range(w.shape[0]):
        xi = x[i]
        if xi != 0.0:
            for j in range(w.shape[1]):
                out[j] += xi * w[i, j]


@njit(cache=True, fastmath=_FAST)
def _sigmoid(v):
    return np.float32(1.0) / (np.float32(1.0) + np.float32(math.exp(-v)))


@njit(cache=True, fastmath=_FAST)
def _model_step(re, im, h, mean, fmean, alpha, floor, weights, gains, power):
    """One frame of one stream: spectrum re/im (bins,) -> gains (bins,), none below ``floor``.
    Updates the GRU state ``h`` (layers, hidden) and the running means in place."""
    pool_t, interp, w_in, b_in, wi, wh, bi, bh, w_out, b_out, w_fi, b_fi, w_fo, b_fo = weights
    nbins, nb = pool_t.shape
    hd = h.shape[1]
    fine = fmean.shape[0]
    for k in range(nbins):
        power[k] = re[k] * re[k] + im[k] * im[k]
    band = np.zeros(nb, np.float32)
    for k in range(nbins):
        p = power[k]
        for j in range(nb):
            band[j] += p * pool_t[k, j]
    x = np.empty(2 * nb, np.float32)
    beta = np.float32(1.0) - alpha
    for k in range(nb):
        lp = np.float32(math.log10(band[k] + np.float32(1e-10)))
        mean[k] = mean[k] * alpha + beta * lp
        x[k] = (lp + np.float32(6.0)) / np.float32(3.0)
        x[nb + k] = (lp - mean[k]) / np.float32(3.0)
    y = np.empty(hd, np.float32)
    _affine(x, w_in, b_in, y)
    for k in range(hd):
        y[k] = max(y[k], np.float32(0.0))
    gi = np.empty(3 * hd, np.float32)
    gh = np.empty(3 * hd, np.float32)
    for layer in range(h.shape[0]):
        _affine(y, wi[layer], bi[layer], gi)
        _affine(h[layer], wh[layer], bh[layer], gh)
        for k in range(hd):
            r = _sigmoid(gi[k] + gh[k])
            z = _sigmoid(gi[hd + k] + gh[hd + k])
            n = np.float32(math.tanh(gi[2 * hd + k] + r * gh[2 * hd + k]))
            h[layer, k] = n + z * (h[layer, k] - n)
        y[:] = h[layer]
    bg = np.empty(nb, np.float32)
    _affine(y, w_out, b_out, bg)
    for k in range(nb):
        bg[k] = max(_sigmoid(bg[k]), floor)
    gains[:] = 0.0
    for j in range(nb):
        g = bg[j]
        for k in range(nbins):
            gains[k] += g * interp[j, k]
    if fine:
        fx = np.empty(hd + fine, np.float32)
        fx[:hd] = y
        for k in range(fine):
            lf = np.float32(math.log10(power[k] + np.float32(1e-10)))
            fmean[k] = fmean[k] * alpha + beta * lf
            fx[hd + k] = (lf - fmean[k]) / np.float32(3.0)
        fh = np.empty(w_fi.shape[1], np.float32)
        _affine(fx, w_fi, b_fi, fh)
        for k in range(fh.shape[0]):
            fh[k] = max(fh[k], np.float32(0.0))
        delta = np.empty(fine, np.float32)
        _affine(fh, w_fo, b_fo, delta)
        for k in range(fine):
            g = min(max(gains[k], np.float32(1e-4)), np.float32(1.0 - 1e-4))
            low = np.float32(math.log(g / (np.float32(1.0) - g)))
            gains[k] = max(_sigmoid(low + delta[k]), floor)


@njit(cache=True, fastmath=_FAST, nogil=True)  # the audio callbacks need the GIL meanwhile
def run_frames(buf, frames, hop, window, ola, out, mid, h, mean, fmean, alpha, floor, weights, tables):
    """``frames`` frames of ``buf`` (samples, channels) -> ``out`` (frames * hop, channels).

    Frame ``f`` is ``buf[f*hop : f*hop + win]``: windowed, transformed, given the model's gains (from
    the channel-mean spectrum when ``mid``, else per channel: stream ``c`` = channel ``c``), inverse
    transformed, windowed again and overlap-added into ``ola`` (win, channels), whose first hop is then
    the output and which moves on by one hop. ``h`` (layers, streams, hidden), ``mean`` and ``fmean``
    (streams, ...) are the model state, updated in place.
    """
    win = window.shape[0]
    nbins = win // 2 + 1
    ch = buf.shape[1]
    n1, n2 = tables[0].shape[0], tables[2].shape[0]
    t_re = np.empty((n2, n1), np.float32)
    t_im = np.empty((n2, n1), np.float32)
    f_re = np.empty(win, np.float32)
    f_im = np.empty(win, np.float32)
    frame = np.empty(win, np.float32)
    y = np.empty(win, np.float32)
    s_re = np.empty((ch, nbins), np.float32)
    s_im = np.empty((ch, nbins), np.float32)
    m_re = np.empty(nbins, np.float32)
    m_im = np.empty(nbins, np.float32)
    gains = np.empty(nbins, np.float32)
    power = np.empty(nbins, np.float32)
    for f in range(frames):
        start = f * hop
        for c in range(ch):
            for k in range(win):
                frame[k] = buf[start + k, c] * window[k]
            _rdft(frame, tables, s_re[c], s_im[c], t_re, t_im)
        if mid:  # one stream: gains from the channels' mean spectrum, applied to every channel
            if ch == 1:
                m_re[:] = s_re[0]
                m_im[:] = s_im[0]
            else:
                m_re[:] = 0.0
                m_im[:] = 0.0
                for c in range(ch):
                    for k in range(nbins):
                        m_re[k] += s_re[c, k]
                        m_im[k] += s_im[c, k]
                for k in range(nbins):
                    m_re[k] /= ch
                    m_im[k] /= ch
            _model_step(m_re, m_im, h[:, 0], mean[0], fmean[0], alpha, floor, weights, gains, power)
            for c in range(ch):
                for k in range(nbins):
                    s_re[c, k] *= gains[k]
                    s_im[c, k] *= gains[k]
        else:  # one stream per channel
            for c in range(ch):
                _model_step(s_re[c], s_im[c], h[:, c], mean[c], fmean[c], alpha, floor, weights, gains, power)
                for k in range(nbins):
                    s_re[c, k] *= gains[k]
                    s_im[c, k] *= gains[k]
        for c in range(ch):
            _irdft(s_re[c], s_im[c], tables, y, f_re, f_im, t_re, t_im)
            for k in range(win):
                ola[k, c] += y[k] * window[k]
            for k in range(hop):
                out[start + k, c] = ola[k, c]
            for k in range(win - hop):
                ola[k, c] = ola[k + hop, c]
            for k in range(win - hop, win):
                ola[k, c] = 0.0

