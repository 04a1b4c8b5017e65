"""``desktop-gan enhance``: exact length/rate/channels, and its error cases write nothing."""

from __future__ import annotations

import json

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.commands import enhance


def _run(args: list[str]) -> int:
    import argparse

    parser = argparse.ArgumentParser()
    enhance.add_parser(parser.add_subparsers())
    return enhance.run(parser.parse_args(["enhance", *args]))


@pytest.mark.parametrize("rate,channels,frames", [(44100, 2, 44100 + 17), (16000, 1, 8001), (48000, 1, 480 * 50 + 3)])
def test_output_has_input_rate_channels_and_exact_length(tmp_path, random_model, rate, channels, frames):
    src, dst = tmp_path / "in.wav", tmp_path / "out.wav"
    sf.write(src, (np.random.default_rng(0).standard_normal((frames, channels)) * 0.1), rate, subtype="PCM_16")
    assert _run([str(src), str(dst), "--model", str(random_model["path"]), "--strength", "12"]) == 0
    info = sf.info(str(dst))
    assert (info.samplerate, info.channels, info.frames) == (rate, channels, frames)


def test_strength_zero_is_transparent_and_aligned(tmp_path, random_model):
    src, dst = tmp_path / "in.flac", tmp_path / "out.wav"
    t = np.arange(22050) / 22050
    x = sum(0.05 * np.sin(2 * np.pi * f * t + f) for f in (110, 440, 1234, 3000, 7777))  # within the pass band
    sf.write(src, x, 22050, subtype="PCM_24")
    assert _run([str(src), str(dst), "--model", str(random_model["path"]), "--strength", "0"]) == 0
    y, _ = sf.read(dst)
    x, _ = sf.read(src)
    assert np.max(np.abs(y[500:-500] - x[500:-500])) < 2e-3


def _assert_fails(capsys, args, folder, before):
    assert _run(args) == 2
    err = capsys.readouterr().err.strip()
    assert err and len(err.splitlines()) == 1
    assert sorted(p.name for p in folder.iterdir()) == before
    return err


def test_unreadable_input(tmp_path, capsys, random_model):
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF not really audio")
    before = sorted(p.name for p in tmp_path.iterdir())
    err = _assert_fails(capsys, [str(bad), str(tmp_path / "out.wav"), "--model", str(random_model["path"])], tmp_path, before)
    assert "bad.wav" in err


def test_output_equal_to_input(tmp_path, capsys, random_model):
    src = tmp_path / "in.wav"
    sf.write(src, np.zeros(4800), 48000)
    data = src.read_bytes()
    before = sorted(p.name for p in tmp_path.iterdir())
    _assert_fails(capsys, [str(src), str(src), "--model", str(random_model["path"])], tmp_path, before)
    assert src.read_bytes() == data


@pytest.mark.parametrize("damage", ["pickle", "hash", "config"])
def test_broken_model_file(tmp_path, capsys, random_model, damage):
    src = tmp_path / "in.wav"
    sf.write(src, np.zeros(4800), 48000)
    model = tmp_path / "m.safetensors"
    model.write_bytes(random_model["path"].read_bytes())
    cfg = json.loads(random_model["path"].with_suffix(".json").read_text())
    if damage == "pickle":
        model = tmp_path / "m.pt"
        model.write_bytes(b"\x80\x04not a model")
    elif damage == "hash":
        model.write_bytes(model.read_bytes()[:-4] + b"\0\0\0\0")
    else:
        cfg["model"]["hidden"] = 64  # config says one architecture, weights hold another
    model.with_suffix(".json").write_text(json.dumps(cfg))
    before = sorted(p.name for p in tmp_path.iterdir())
    _assert_fails(capsys, [str(src), str(tmp_path / "out.wav"), "--model", str(model)], tmp_path, before)
