"""Model files are data, never code: only safetensors + a matching JSON config load."""

import json
import pickle

import numpy as np
import pytest

from desktop_gan.io.modelfile import FORMAT_VERSION, ModelFileError, load_model, save_model


@pytest.fixture()
def model(tmp_path):
    tensors = {"w": np.arange(6, dtype=np.float32).reshape(2, 3), "b": np.ones(3, np.float32)}
    path = save_model(tmp_path / "m.safetensors", tensors, {"kind": "enhancer", "samplerate": 48000})
    return path, tensors


def test_round_trip_carries_config_hash_and_shapes(model):
    path, tensors = model
    loaded, cfg = load_model(path, kind="enhancer")
    for k in tensors:
        np.testing.assert_array_equal(loaded[k], tensors[k])
    assert cfg["format_version"] == FORMAT_VERSION and len(cfg["sha256"]) == 64
    assert cfg["tensors"] == {"w": [2, 3], "b": [3]} and cfg["samplerate"] == 48000
    assert load_model(path.with_suffix(".json"))[1] == cfg  # either file of the pair names the model


@pytest.mark.parametrize("suffix", [".pt", ".ckpt", ".pkl", ".pth"])
def test_pickles_are_refused_before_reading(tmp_path, suffix):
    class Boom:
        def __reduce__(self):
            return (exec, ("open('%s', 'w').write('pwned')" % (tmp_path / "pwned"),))

    path = tmp_path / f"evil{suffix}"
    path.write_bytes(pickle.dumps(Boom()))
    with pytest.raises(ModelFileError, match="never loaded"):
        load_model(path)
    assert not (tmp_path / "pwned").exists()


def test_pickle_renamed_to_safetensors_is_refused(tmp_path, model):
    path, _ = model
    cfg = json.loads(path.with_suffix(".json").read_text())
    payload = pickle.dumps({"w": 1})
    path.write_bytes(payload)
    import hashlib

    cfg["sha256"] = hashlib.sha256(payload).hexdigest()  # even with a matching hash
    path.with_suffix(".json").write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="not a valid safetensors"):
        load_model(path)


def test_truncated_weights_fail_the_checksum(model):
    path, _ = model
    path.write_bytes(path.read_bytes()[:-7])
    with pytest.raises(ModelFileError, match="checksum"):
        load_model(path)


def test_config_that_does_not_match_the_tensors(model):
    path, _ = model
    cfg_path = path.with_suffix(".json")
    cfg = json.loads(cfg_path.read_text())
    cfg["tensors"]["w"] = [3, 2]
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="shape"):
        load_model(path)
    cfg["tensors"] = {"w": [2, 3]}
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="do not match"):
        load_model(path)


def test_newer_version_wrong_kind_missing_and_broken_config(model, tmp_path):
    path, _ = model
    cfg_path = path.with_suffix(".json")
    with pytest.raises(ModelFileError, match="expected 'drums'"):
        load_model(path, kind="drums")
    cfg = json.loads(cfg_path.read_text())
    cfg["format_version"] = FORMAT_VERSION + 1
    cfg_path.write_text(json.dumps(cfg))
    with pytest.raises(ModelFileError, match="newer"):
        load_model(path)
    cfg_path.write_text("{not json")
    with pytest.raises(ModelFileError, match="not valid JSON"):
        load_model(path)
    cfg_path.unlink()
    with pytest.raises(ModelFileError, match="missing"):
        load_model(path)
    with pytest.raises(ModelFileError, match="not found"):
        load_model(tmp_path / "nothing.safetensors")
