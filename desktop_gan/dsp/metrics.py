"""Speech-quality metrics as pure functions: SI-SDR, PESQ-WB, STOI, delay and band-level helpers.

Conventions: ``ref`` is the clean reference, ``est`` the signal being judged; both are 1-D float
arrays at the same rate and are cut to the shorter length. PESQ-WB is computed at 16 kHz after soxr
resampling (the ITU P.862.2 rate); STOI is computed by ``pystoi`` (which works at 10 kHz internally)
from the same 16 kHz signals. ``pesq`` and ``pystoi`` are imported inside the functions that use them,
so importing this module costs nothing. Nothing here keeps state or changes its inputs.
"""

from __future__ import annotations

import math

import numpy as np

EPS = 1e-12
METRIC_RATE = 16000


def _pair(ref: np.ndarray, est: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ref = np.asarray(ref, np.float64).reshape(-1)
    est = np.asarray(est, np.float64).reshape(-1)
    n = min(len(ref), len(est))
    if n == 0:
        raise ValueError("empty signal")
    return ref[:n], est[:n]


def si_sdr(ref: np.ndarray, est: np.ndarray, zero_mean: bool = True) -> float:
    """Scale-invariant signal-to-distortion ratio in dB (Le Roux et al., 2019).

    ``est`` is projected on ``ref``: SI-SDR = 10 log10(|a ref|^2 / |est - a ref|^2) with
    a = <est, ref> / |ref|^2. Gain changes of ``est`` do not move it; a silent ``ref`` gives -inf.
    """
    ref, est = _pair(ref, est)
    if zero_mean:
        ref = ref - ref.mean()
        est = est - est.mean()
    energy = float(np.dot(ref, ref))
    if energy <= EPS:
        return -math.inf
    a = float(np.dot(est, ref)) / energy
    target = a * ref
    noise = est - target
    num, den = float(np.dot(target, target)), float(np.dot(noise, noise))
    if den <= EPS * max(num, EPS):
        return math.inf if num > 0 else -math.inf
    if num <= EPS:
        return -math.inf
    return 10.0 * math.log10(num / den)


def snr(ref: np.ndarray, est: np.ndarray) -> float:
    """Plain SNR in dB of ``est`` against ``ref`` (no scaling): 10 log10(|ref|^2 / |est-ref|^2)."""
    ref, est = _pair(ref, est)
    den = float(np.sum((est - ref) ** 2))
    num = float(np.sum(ref ** 2))
    if den <= EPS:
        return math.inf
    return 10.0 * math.log10(max(num, EPS) / den)


def resample(x: np.ndarray, sr_in: int, sr_out: int) -> np.ndarray:
    """Offline soxr HQ resampling (delay compensated): float32 out, length round(n * out/in)."""
    x = np.asarray(x, np.float32)
    if int(sr_in) == int(sr_out):
        return x.copy()
    import soxr

    return soxr.resample(x, int(sr_in), int(sr_out), quality="HQ").astype(np.float32)


def pesq_wb(ref: np.ndarray, est: np.ndarray, sr: int) -> float:
    """Wide-band PESQ (MOS-LQO, about 1.04-4.64) at 16 kHz; NaN if PESQ finds no utterance."""
    from pesq import NoUtterancesError, pesq

    ref, est = _pair(ref, est)
    if not np.any(ref):
        return math.nan  # a silent reference has no utterance
    r16 = resample(ref, sr, METRIC_RATE).astype(np.float64)
    e16 = resample(est, sr, METRIC_RATE).astype(np.float64)
    n = min(len(r16), len(e16))
    try:
        return float(pesq(METRIC_RATE, r16[:n], e16[:n], "wb"))
    except NoUtterancesError:
        return math.nan


def stoi(ref: np.ndarray, est: np.ndarray, sr: int, extended: bool = False) -> float:
    """Short-time objective intelligibility (0..1), or ESTOI with ``extended=True``."""
    from pystoi import stoi as _stoi

    ref, est = _pair(ref, est)
    r16 = resample(ref, sr, METRIC_RATE).astype(np.float64)
    e16 = resample(est, sr, METRIC_RATE).astype(np.float64)
    n = min(len(r16), len(e16))
    return float(_stoi(r16[:n], e16[:n], METRIC_RATE, extended=extended))


def estimate_delay(ref: np.ndarray, est: np.ndarray, max_lag: int) -> int:
    """Lag in samples (0..max_lag) by which ``est`` trails ``ref``, by FFT cross-correlation.

    ``est[n + lag]`` best matches ``ref[n]``. Only non-negative lags are searched: every causal
    processor delays.
    """
    ref, est = _pair(ref, est)
    n = len(ref)
    size = 1 << int(math.ceil(math.log2(2 * n + 1)))
    xc = np.fft.irfft(np.fft.rfft(est, size) * np.conj(np.fft.rfft(ref, size)), size)
    return int(np.argmax(xc[: max(1, min(max_lag, n - 1) + 1)]))


def shift(x: np.ndarray, lag: int) -> np.ndarray:
    """Advance ``x`` by ``lag`` samples (drop the first ``lag``, pad zeros at the end): same length."""
    x = np.asarray(x)
    if lag <= 0:
        return x.copy()
    return np.concatenate([x[lag:], np.zeros(min(lag, len(x)), x.dtype)])


def band_level_db(x: np.ndarray, sr: int, lo: float = 0.0, hi: float | None = None) -> float:
    """Energy (dB, relative to full scale squared x samples) of ``x`` between ``lo`` and ``hi`` Hz."""
    x = np.asarray(x, np.float64).reshape(-1)
    spec = np.abs(np.fft.rfft(x)) ** 2
    f = np.fft.rfftfreq(len(x), 1.0 / sr)
    sel = (f >= lo) & (f < (hi if hi is not None else sr / 2 + 1))
    return 10.0 * math.log10(float(spec[sel].sum()) / max(len(x), 1) + EPS)


def band_change_db(before: np.ndarray, after: np.ndarray, sr: int, lo: float = 0.0,
                   hi: float | None = 8000.0) -> float:
    """How much the band's energy changed from ``before`` to ``after`` (negative = removed)."""
    before, after = _pair(before, after)
    return band_level_db(after, sr, lo, hi) - band_level_db(before, sr, lo, hi)


def finite_mean(values) -> float:
    """Mean of the finite values (NaN when none): one unusable clip does not poison a table."""
    v = np.asarray([x for x in values if x is not None], np.float64)
    v = v[np.isfinite(v)]
    return float(v.mean()) if v.size else math.nan
