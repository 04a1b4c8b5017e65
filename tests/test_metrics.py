"""Metrics on signals whose answers are known; plus the eval set's pure helpers (SNR, schedule)."""

import math

import numpy as np
import pytest

from desktop_gan.dsp import metrics as M

SR = 48000


def _speechlike(seconds=3.0, sr=SR, seed=0):
    """Voiced 'syllables': a 120-220 Hz harmonic series, formant-ish tilt, 4 Hz on/off envelope."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * sr)) / sr
    f0 = 150 + 50 * np.sin(2 * np.pi * 0.7 * t)
    phase = 2 * np.pi * np.cumsum(f0) / sr
    x = sum(np.sin(k * phase + rng.uniform(0, 6.28)) / k for k in range(1, 25))
    env = np.clip(np.sin(2 * np.pi * 2.0 * t), 0, None) ** 0.5
    return (0.2 * x * env / np.max(np.abs(x))).astype(np.float32)


def _orthogonal_noise(ref, rng):
    e = rng.standard_normal(len(ref))
    r = ref - ref.mean()
    e = e - e.mean()
    return e - np.dot(e, r) / np.dot(r, r) * r


def test_si_sdr_of_exact_and_scaled_copies_is_infinite():
    x = np.random.default_rng(1).standard_normal(4800)
    assert M.si_sdr(x, x) == math.inf
    assert M.si_sdr(x, 0.3 * x) == math.inf


@pytest.mark.parametrize("target_db", [-10.0, 0.0, 7.5, 30.0])
def test_si_sdr_equals_the_constructed_ratio(target_db):
    rng = np.random.default_rng(2)
    ref = rng.standard_normal(16000)
    e = _orthogonal_noise(ref, rng)
    e *= np.linalg.norm(ref - ref.mean()) / np.linalg.norm(e) * 10 ** (-target_db / 20)
    est = ref + e
    assert M.si_sdr(ref, est) == pytest.approx(target_db, abs=1e-6)
    # gain and DC offset of the estimate do not change it
    assert M.si_sdr(ref, 3.0 * est + 0.5) == pytest.approx(target_db, abs=1e-6)


def test_si_sdr_penalises_what_snr_does_not_see_and_vice_versa():
    rng = np.random.default_rng(3)
    ref = rng.standard_normal(8000)
    assert M.snr(ref, 0.5 * ref) == pytest.approx(20 * math.log10(1 / 0.5), abs=1e-9)  # 6.02 dB
    assert M.si_sdr(ref, 0.5 * ref) == math.inf
    assert M.si_sdr(np.zeros(100), rng.standard_normal(100)) == -math.inf


def test_si_sdr_cuts_to_the_shorter_signal():
    x = np.random.default_rng(4).standard_normal(1000)
    assert M.si_sdr(x, np.concatenate([x, np.ones(50)])) == math.inf


def test_delay_estimate_and_shift_undo_a_known_delay():
    rng = np.random.default_rng(5)
    x = rng.standard_normal(9600).astype(np.float32)
    for lag in (0, 1, 480, 1440):
        y = np.concatenate([np.zeros(lag, np.float32), x])[: len(x)]
        assert M.estimate_delay(x, y, 4800) == lag
        back = M.shift(y, lag)
        assert len(back) == len(x)
        np.testing.assert_array_equal(back[: len(x) - lag], x[: len(x) - lag])


def test_band_change_sees_what_was_removed():
    t = np.arange(SR) / SR
    low, high = np.sin(2 * np.pi * 1000 * t), 0.5 * np.sin(2 * np.pi * 12000 * t)
    x = low + high
    assert M.band_change_db(x, 0.5 * x, SR) == pytest.approx(-6.0206, abs=1e-3)
    assert M.band_change_db(x, low, SR, 0, 8000) == pytest.approx(0.0, abs=1e-6)
    assert M.band_change_db(x, low, SR, 8000, None) < -100


def test_resample_lengths():
    x = np.zeros(SR, np.float32)
    assert len(M.resample(x, SR, 16000)) == 16000
    assert len(M.resample(x, SR, SR)) == SR


def test_pesq_wb_orders_noise_levels_and_tops_out_on_identity():
    ref = _speechlike()
    rng = np.random.default_rng(6)
    noise = rng.standard_normal(len(ref)).astype(np.float32)
    noise *= np.sqrt(np.mean(ref ** 2) / np.mean(noise ** 2))
    same = M.pesq_wb(ref, ref, SR)
    mild = M.pesq_wb(ref, ref + 0.1 * noise, SR)  # 20 dB
    loud = M.pesq_wb(ref, ref + 1.0 * noise, SR)  # 0 dB
    assert same > 4.4
    assert same > mild > loud
    assert 1.0 <= loud < 2.5


def test_pesq_wb_is_nan_without_speech():
    assert math.isnan(M.pesq_wb(np.zeros(SR * 2), np.zeros(SR * 2), SR))


def test_stoi_is_one_for_identity_and_drops_with_noise():
    ref = _speechlike()
    rng = np.random.default_rng(7)
    noise = rng.standard_normal(len(ref)).astype(np.float32) * np.sqrt(np.mean(ref ** 2))
    same = M.stoi(ref, ref, SR)
    assert same == pytest.approx(1.0, abs=1e-3)
    assert same > M.stoi(ref, ref + 0.3 * noise, SR) > M.stoi(ref, ref + 3.0 * noise, SR)


def test_finite_mean_skips_nan_and_inf():
    assert M.finite_mean([1.0, math.nan, 3.0, math.inf, None]) == 2.0
    assert math.isnan(M.finite_mean([math.nan]))


# --------------------------------------------------------------------------- eval set helpers
def test_mix_at_gives_the_requested_snr():
    from desktop_gan.training.eval_data import mix_at

    rng = np.random.default_rng(8)
    s, n = rng.standard_normal(SR).astype(np.float32), rng.standard_normal(SR).astype(np.float32) * 7
    for snr in (-5.0, 0.0, 15.0):
        mixed = mix_at(s, n, snr)
        resid = mixed.astype(np.float64) - s
        assert 10 * math.log10(np.mean(s.astype(np.float64) ** 2) / np.mean(resid ** 2)) == pytest.approx(snr, abs=1e-3)


def test_schedule_is_seeded_and_stratified():
    from desktop_gan.training.eval_data import NOISE_KINDS, schedule

    plan = schedule(48, 123)
    assert plan == schedule(48, 123) and plan != schedule(48, 124)
    assert all(-5 <= snr <= 15 for _, snr in plan)
    for kind in NOISE_KINDS:
        snrs = sorted(s for k, s in plan if k == kind)
        assert len(snrs) == 6
        assert snrs[0] < 0 and snrs[-1] > 10  # spread over the range, not bunched


def test_music_midi_is_a_valid_type0_file():
    from desktop_gan.training.eval_data import music_midi

    data = music_midi(3, 4.0, np.random.default_rng(9))
    assert data[:4] == b"MThd" and data[14:18] == b"MTrk"
    assert int.from_bytes(data[18:22], "big") == len(data) - 22
    assert data.endswith(b"\x00\xff\x2f\x00")


def test_dev_profile_uses_training_voices_and_text_not_the_held_out_ones():
    from desktop_gan.training import speech_data as sd
    from desktop_gan.training.eval_data import SENTENCES, VOICES, profile

    dev, held = profile("dev"), profile("eval")
    assert held.voices == VOICES and held.texts == SENTENCES
    assert not set(dev.voices) & set(held.voices)
    for engine, voice in dev.voices:  # every dev voice is one the training data speaks with
        assert not any(voice.endswith(h) for h in sd.HELD_OUT[engine])
    assert len(dev.texts) == len(SENTENCES) and not set(dev.texts) & set(SENTENCES)
    assert dev.texts == profile("dev").texts  # seeded
    assert dev.seed != held.seed and dev.out != held.out
    assert not any("MuseScore" in f for f in dev.soundfonts)
    with pytest.raises(ValueError, match="unknown evaluation set profile"):
        profile("test")
