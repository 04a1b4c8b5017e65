"""The shipped model: clean full-band speech passes, noise is reduced (measured against the input)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.core.params import EnhanceParams
from desktop_gan.runtime.enhancer import StreamingEnhancer

from .conftest import band_energy, si_sdr, speech_like


@pytest.mark.xfail(strict=True, reason="known limit of the shipped model: strong synthetic fricatives (noise "
                   "bursts at 3-16 kHz, louder than in the TTS training speech) are taken for noise and lose "
                   "~32 dB above 8 kHz; real sibilants are untested here (README: Known limits)")
def test_clean_speech_with_strong_fricatives_passes(shipped_model):
    x = speech_like(2.0, seed=0)
    y = StreamingEnhancer(shipped_model).process_offline(x)
    assert si_sdr(y, x) >= 25.0
    assert 10 * np.log10(band_energy(y, 8000, 24000) / band_energy(x, 8000, 24000)) > -2.0


def test_clean_held_out_tts_speech_passes(shipped_model):
    # 1.6 s of flite 'rms' (male) + 1.6 s of espeak-ng 'en-us+f4' (female): voices never trained on,
    # made full band by speech_data.exciter (speech_data.make_utterance, seeds 11 and 12)
    x, rate = sf.read(Path(__file__).parent / "data" / "heldout_speech.flac", dtype="float32")
    assert rate == 48000
    y = StreamingEnhancer(shipped_model).process_offline(x)
    assert si_sdr(y, x) >= 25.0
    assert 10 * np.log10(band_energy(y, 8000, 24000) / band_energy(x, 8000, 24000)) > -1.0


def test_noise_is_reduced_on_a_noisy_example(shipped_model):
    rng = np.random.default_rng(7)
    clean = speech_like(3.0, seed=1)
    white = rng.standard_normal(len(clean))
    spec = np.fft.rfft(white)
    f = np.fft.rfftfreq(len(clean), 1 / 48000)
    spec /= np.sqrt(np.maximum(f, 20.0))  # pink
    noise = np.fft.irfft(spec, len(clean))
    noise *= np.sqrt(np.mean(clean ** 2) / np.mean(noise ** 2)) * 10 ** (-5 / 20)  # 5 dB SNR
    noisy = (clean + noise).astype(np.float32)
    enh = StreamingEnhancer(shipped_model, params=EnhanceParams(strength_db=30))
    y = enh.process_offline(noisy)
    assert si_sdr(y, clean) > si_sdr(noisy, clean) + 3.0
    # noise alone: at least 10 dB quieter after the first half second
    n_out = enh.process_offline(noise.astype(np.float32))
    drop = 10 * np.log10(np.mean(n_out[24000:] ** 2) / np.mean(noise[24000:] ** 2))
    assert drop < -10.0
