"""Loading enhancer models: pickles and mismatching configs are refused."""

from __future__ import annotations

import json

import pytest

from desktop_gan.io.modelfile import ModelFileError, load_model
from desktop_gan.runtime.enhancer import StreamingEnhancer, default_model_path


def test_shipped_model_config_has_the_record(shipped_model):
    tensors, cfg = shipped_model
    assert cfg["kind"] == "enhancer" and cfg["samplerate"] == 48000
    assert cfg["latency_samples"] == cfg["win"] == 960 and cfg["hop"] == 480
    rec = cfg["training"]
    assert rec["data_recipe"]["seed"] == 0 and rec["steps"] > 0
    assert "val" in json.dumps(rec)  # validation metrics are recorded
    assert sum(v.size for v in tensors.values()) < 2_000_000
    assert default_model_path().stat().st_size < 8 * 2**20


@pytest.mark.parametrize("suffix", [".pt", ".pth", ".ckpt", ".pkl"])
def test_pickles_are_refused(tmp_path, suffix):
    bad = tmp_path / f"enhancer{suffix}"
    bad.write_bytes(b"\x80\x04\x95")
    with pytest.raises(ModelFileError, match="never loaded"):
        StreamingEnhancer(bad)


@pytest.mark.parametrize("edit", [("model", "n_bands", 8), ("model", "layers", 3), (None, "latency_samples", 480),
                                  (None, "kind", "drums")])
def test_mismatching_config_is_refused(tmp_path, random_model, edit):
    section, key, value = edit
    dst = tmp_path / "m.safetensors"
    dst.write_bytes(random_model["path"].read_bytes())
    cfg = json.loads(random_model["path"].with_suffix(".json").read_text())
    (cfg[section] if section else cfg)[key] = value
    dst.with_suffix(".json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError):
        StreamingEnhancer(dst)


def test_random_model_round_trips(random_model):
    tensors, cfg = load_model(random_model["path"], kind="enhancer")
    assert StreamingEnhancer((tensors, cfg)).latency_samples == 960
