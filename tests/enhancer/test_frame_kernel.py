"""The compiled frame kernel: its DFT against numpy's, and one specialisation for warm-up and live use."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_gan.dsp.stft import dft_tables
from desktop_gan.runtime import frame_kernel


@pytest.mark.parametrize("win", [960, 480, 64, 18])
def test_two_stage_dft_equals_numpy(win):
    rng = np.random.default_rng(win)
    x = rng.standard_normal(win).astype(np.float32)
    tables = dft_tables(win)
    n1, n2 = tables[0].shape[0], tables[2].shape[0]
    assert n1 * n2 == win and n1 >= n2 > 1
    t_re, t_im = np.empty((n2, n1), np.float32), np.empty((n2, n1), np.float32)
    re, im = np.empty(win // 2 + 1, np.float32), np.empty(win // 2 + 1, np.float32)
    frame_kernel._rdft(x, tables, re, im, t_re, t_im)
    ref = np.fft.rfft(x.astype(np.float64))
    scale = np.abs(ref).max()
    np.testing.assert_allclose(re + 1j * im, ref, atol=2e-6 * scale)
    # inverse of a spectrum with non-zero imaginary DC / Nyquist parts: ignored, as numpy does
    spec = (rng.standard_normal(win // 2 + 1) + 1j * rng.standard_normal(win // 2 + 1)).astype(np.complex64)
    y = np.empty(win, np.float32)
    frame_kernel._irdft(spec.real.copy(), spec.imag.copy(), tables, y, np.empty(win, np.float32),
                        np.empty(win, np.float32), t_re, t_im)
    np.testing.assert_allclose(y, np.fft.irfft(spec.astype(np.complex128), n=win), atol=2e-6)


def test_prepare_compiles_what_the_runtime_calls():
    """prepare_runtime() (the app-start job) leaves nothing to compile for a real enhancer's first block."""
    from desktop_gan.dsp.polyphase_kernel import polyphase
    from desktop_gan.runtime.enhancer import StreamingEnhancer
    from desktop_gan.workers.live_enhance import prepare_runtime

    prepare_runtime()
    before = list(frame_kernel.run_frames.signatures), list(polyphase.signatures)
    for rate, channels, stereo in ((48000, 1, "mid"), (48000, 2, "mid"), (48000, 2, "per-channel"), (44100, 1, "mid"),
                                   (16000, 2, "mid")):
        enh = StreamingEnhancer(None, rate, channels, stereo)
        enh.process(np.zeros((rate // 100, channels), np.float32))
    assert (list(frame_kernel.run_frames.signatures), list(polyphase.signatures)) == before
    assert len(before[0]) == len(before[1]) == 1
