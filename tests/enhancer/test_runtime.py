"""StreamingEnhancer: chunked = whole, true latency, mix/residue/bypass, numpy = torch."""

from __future__ import annotations

import numpy as np
import pytest

from desktop_gan.core.params import EnhanceParams
from desktop_gan.runtime.enhancer import StreamingEnhancer


def _chunked(enh: StreamingEnhancer, x: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    outs, i = [], 0
    while i < len(x):
        n = int(rng.choice([int(rng.integers(0, 8)), int(rng.integers(1, 2000))]))
        outs.append(enh.process(x[i:i + n]))
        i += n
    return np.concatenate(outs)


@pytest.mark.parametrize("rate,channels,stereo", [(48000, 1, "mid"), (44100, 2, "mid"), (16000, 2, "per-channel")])
@pytest.mark.parametrize("kind", ["random_model", "random_fine_model"])
def test_random_blocks_equal_whole_signal(request, kind, rate, channels, stereo):
    random_model = request.getfixturevalue(kind)
    rng = np.random.default_rng(1)
    x = (rng.standard_normal((rate // 2, channels)) * 0.1).astype(np.float32)
    model = (random_model["tensors"], random_model["config"])
    whole = StreamingEnhancer(model, rate, channels, stereo).process(x)
    chunked = _chunked(StreamingEnhancer(model, rate, channels, stereo), x, seed=rate)
    assert chunked.shape == whole.shape == x.shape
    np.testing.assert_array_equal(chunked, whole)
    assert np.std(whole[rate // 10:]) > 0.01  # it really processed something


@pytest.mark.parametrize("rate", [16000, 22050, 44100, 48000, 96000])
def test_reported_latency_is_the_true_one(random_model, rate):
    # strength 0 dB floors every gain at 1: the path is then transparent and the impulse comes back
    # whole, at exactly latency_samples
    model = (random_model["tensors"], random_model["config"])
    enh = StreamingEnhancer(model, rate, 1, params=EnhanceParams(strength_db=0.0))
    from scipy.signal import firwin

    x = np.zeros(rate // 4, np.float32)
    x[1234] = 1.0
    x = np.convolve(x, firwin(201, 6000, fs=rate), mode="same").astype(np.float32)  # symmetric pulse at 1234
    y = enh.process(x)
    assert int(np.argmax(np.abs(y))) == 1234 + enh.latency_samples
    assert y.max() > 0.99 * x.max()
    if rate == 48000:
        assert enh.latency_samples == 960  # one 20 ms window
    assert enh.latency_seconds <= 0.026  # the resamplers add 1.8-5.4 ms at other rates


def test_latency_with_active_model_chirp(shipped_model):
    from scipy.signal import chirp, correlate

    enh = StreamingEnhancer(shipped_model, 48000, 1)
    t = np.arange(48000) / 48000
    x = (0.3 * chirp(t, 100, 1.0, 16000)).astype(np.float32)
    y = enh.process(np.concatenate([x, np.zeros(4800, np.float32)]))
    lag = int(np.argmax(correlate(y, x, mode="full", method="fft"))) - (len(x) - 1)
    assert lag == enh.latency_samples


def test_offline_is_aligned_and_same_length(random_model):
    model = (random_model["tensors"], random_model["config"])
    enh = StreamingEnhancer(model, 44100, 2, params=EnhanceParams(strength_db=0.0))
    from scipy.signal import butter, sosfilt

    noise = np.random.default_rng(2).standard_normal((30001, 2)) * 0.1
    x = sosfilt(butter(8, 16000, fs=44100, output="sos"), noise, axis=0).astype(np.float32)  # pass band only
    y = enh.process_offline(x, block=4410)
    assert y.shape == x.shape
    assert np.max(np.abs(y[2000:-2000] - x[2000:-2000])) < 2e-3  # transparent and aligned


def test_mix_residue_and_dry(random_model):
    model = (random_model["tensors"], random_model["config"])
    x = (np.random.default_rng(3).standard_normal(24000) * 0.1).astype(np.float32)
    enh = StreamingEnhancer(model, 48000, 1, params=EnhanceParams(mix=0.0))
    dry = enh.process(x)
    np.testing.assert_allclose(dry[960:], x[:-960], atol=1e-6)  # mix 0 = latency-aligned dry
    wet = StreamingEnhancer(model, params=EnhanceParams(strength_db=40, mix=0.7)).process(x)
    res = StreamingEnhancer(model, params=EnhanceParams(strength_db=40, mix=0.7, listen="residue")).process(x)
    np.testing.assert_allclose(wet + res, dry, atol=1e-5)  # residue is exactly what was removed
    assert np.std(res) > 0.01
    only_dry = StreamingEnhancer(model, params=EnhanceParams(strength_db=40, listen="dry")).process(x)
    np.testing.assert_allclose(only_dry, dry, atol=1e-7)


def test_attenuation_limit_bounds_the_removal(random_model):
    model = (random_model["tensors"], random_model["config"])
    noise = (np.random.default_rng(4).standard_normal(48000) * 0.1).astype(np.float32)
    levels = []
    for strength in (0.0, 6.0, 100.0):
        y = StreamingEnhancer(model, params=EnhanceParams(strength_db=strength)).process_offline(noise)
        levels.append(10 * np.log10(np.mean(y[4800:] ** 2) / np.mean(noise[4800:] ** 2)))
    assert abs(levels[0]) < 0.1
    assert levels[1] >= -6.5
    assert levels[2] <= levels[1]


def test_bypass_crossfades_to_dry_without_jump(random_model):
    model = (random_model["tensors"], random_model["config"])
    x = (np.random.default_rng(5).standard_normal(48000) * 0.1).astype(np.float32)
    enh = StreamingEnhancer(model, params=EnhanceParams(strength_db=60))
    a = enh.process(x[:24000])
    enh.set_params(EnhanceParams(strength_db=60, bypass=True))
    b = enh.process(x[24000:])
    dry = np.concatenate([np.zeros(960, np.float32), x])[24000:48000]
    np.testing.assert_allclose(b[480:], dry[480:], atol=1e-7)  # after the 10 ms fade: the dry signal
    ramp = b[:480] - dry[:480]
    assert np.all(np.abs(np.diff(np.abs(ramp[::48]))) < 0.2)  # the fade is gradual
    assert a.shape == b.shape


@pytest.mark.parametrize("kind", ["random_model", "random_fine_model"])
def test_numpy_runtime_matches_torch_generator(request, kind):
    import torch

    random_model = request.getfixturevalue(kind)
    x = (np.random.default_rng(6).standard_normal(24000) * 0.1).astype(np.float32)
    enh = StreamingEnhancer((random_model["tensors"], random_model["config"]), params=EnhanceParams(strength_db=100))
    y = enh.process_offline(x)
    with torch.no_grad():
        ref = random_model["generator"](torch.from_numpy(x)[None])[0][0].numpy()
    np.testing.assert_allclose(y[: len(ref)], ref, atol=2e-5)


def test_wrong_channel_count_is_refused(random_model):
    enh = StreamingEnhancer((random_model["tensors"], random_model["config"]), 48000, 2)
    with pytest.raises(ValueError):
        enh.process(np.zeros((480, 1), np.float32))


def test_fine_model_is_transparent_at_zero_strength(random_fine_model):
    model = (random_fine_model["tensors"], random_fine_model["config"])
    x = (np.random.default_rng(7).standard_normal(24000) * 0.1).astype(np.float32)
    y = StreamingEnhancer(model, params=EnhanceParams(strength_db=0.0)).process_offline(x)
    np.testing.assert_allclose(y, x, atol=1e-5)
    assert np.std(StreamingEnhancer(model).process_offline(x) - x) > 0.01  # the default does change it


def test_fine_head_starts_as_the_band_only_model(random_model):
    """A band-only model grown a fine head (last layer at zero) computes exactly what it did."""
    import torch

    from desktop_gan.models.enhancer import EnhancerGenerator

    band = random_model["generator"]
    fine = EnhancerGenerator(**{**band.cfg, "fine_bins": 96})
    missing, unexpected = fine.load_state_dict(band.state_dict(), strict=False)
    assert not unexpected and missing and all(k.startswith("fine_") for k in missing)
    x = torch.from_numpy((np.random.default_rng(8).standard_normal(24000) * 0.1).astype(np.float32))[None]
    with torch.no_grad():
        np.testing.assert_allclose(fine.eval()(x)[0].numpy(), band(x)[0].numpy(), atol=1e-6)
