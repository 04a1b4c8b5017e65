"""The enhancer's calibration: a constant added to its gain logits, written to a new model file."""

from __future__ import annotations

import json

import numpy as np
import pytest

from desktop_gan.io.modelfile import load_model
from desktop_gan.training.calibrate import calibrate, main


def _gains(tensors, config, x):
    import torch

    from desktop_gan.models.enhancer import EnhancerGenerator

    gen = EnhancerGenerator(**config["model"]).eval()
    gen.load_state_dict({k: torch.from_numpy(v) for k, v in tensors.items()})
    with torch.no_grad():
        y, band = gen(torch.from_numpy(x)[None])
    return y[0].numpy(), band[0].numpy().astype(np.float64)


def test_offset_moves_every_band_logit_and_keeps_the_record(random_fine_model, tmp_path):
    x = np.random.default_rng(2).standard_normal(48000).astype(np.float32) * 0.05
    out = calibrate(random_fine_model["path"], tmp_path / "cal.safetensors", -0.5, note="dev sweep")
    tensors, config = load_model(out, kind="enhancer")
    y0, g0 = _gains(random_fine_model["tensors"], random_fine_model["config"], x)
    y1, g1 = _gains(tensors, config, x)
    inside = (g0 > 1e-3) & (g0 < 1 - 1e-3)  # away from float32 saturation
    assert inside.mean() > 0.5
    logit = lambda g: np.log(g / (1 - g))  # noqa: E731
    assert np.allclose(logit(g1[inside]) - logit(g0[inside]), -0.5, atol=2e-3)
    assert np.sum(y1 ** 2) < np.sum(y0 ** 2)  # lower gains: less comes through
    rec = config["training"]["calibration"]
    assert rec["logit_offset"] == -0.5 and rec["note"] == "dev sweep"
    assert rec["source_sha256"] == random_fine_model["config"]["sha256"]
    assert {k: v for k, v in config["training"].items() if k != "calibration"} == random_fine_model["config"]["training"]
    for name, value in random_fine_model["tensors"].items():  # only the band bias changed
        assert np.array_equal(value, tensors[name]) == (name != "out.bias")


def test_refuses_its_own_source_and_a_second_calibration(random_model, tmp_path):
    with pytest.raises(ValueError, match="new file"):
        calibrate(random_model["path"], random_model["path"], -0.3)
    once = calibrate(random_model["path"], tmp_path / "once.safetensors", -0.3)
    with pytest.raises(ValueError, match="calibrated already"):
        calibrate(once, tmp_path / "twice.safetensors", -0.3)


def test_cli_broken_model_is_one_line_and_exit_2(tmp_path, capsys):
    bad = tmp_path / "bad.safetensors"
    bad.write_bytes(b"not a model")
    (tmp_path / "bad.json").write_text(json.dumps({"format_version": 1, "kind": "enhancer", "sha256": "0"}))
    assert main([str(bad), str(tmp_path / "out.safetensors"), "--logit-offset", "-0.4"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("calibrate: ") and "\n" not in err
    assert not (tmp_path / "out.safetensors").exists()
