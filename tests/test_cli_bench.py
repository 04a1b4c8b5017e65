"""``desktop-gan bench``: measures the shipped models and reports a table plus one JSON line."""

from __future__ import annotations

import json

from desktop_gan.cli import main


def test_bench_reports_enhancer_and_loops(tmp_path, capsys):
    out = tmp_path / "bench.json"
    assert main(["bench", "--seconds", "0.5", "--runs", "1", "--json", str(out)]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    result = json.loads(lines[-1])
    assert json.loads(out.read_text()) == result
    enh = result["enhancer"]
    assert enh["latency_samples_48k"] == 960 and enh["params"] > 0
    assert [(c["rate"], c["channels"]) for c in enh["cases"]] == [(48000, 1), (48000, 2), (44100, 1), (16000, 1)]
    assert all(c["rtf"] > 0 and c["latency_ms"] >= 20.0 for c in enh["cases"])
    import torch

    assert result["loops"]["device"] == ("cuda" if torch.cuda.is_available() else "cpu")
    assert all(result["loops"][k] > 0 for k in ("new_loop_ms", "lane_regen_ms", "oneshots8_ms"))
    assert any("RTF" in line for line in lines[:-1])  # the human-readable table


def test_bench_refuses_bad_arguments_with_one_line(tmp_path, capsys):
    assert main(["bench", "--seconds", "0"]) == 2
    assert main(["bench", "--enhancer-model", str(tmp_path / "missing.safetensors")]) == 2
    assert main(["bench", "--skip", "loops", "--device", "cuda", "--json", str(tmp_path / "no" / "x.json")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 3 and all(line.startswith("desktop-gan: error:") for line in err)


def test_bench_on_cuda_without_cuda_is_a_clear_error(capsys):
    import pytest
    import torch

    if torch.cuda.is_available():
        pytest.skip("CUDA is present: the CUDA path is measured instead")
    assert main(["bench", "--skip", "enhancer", "--device", "cuda", "--runs", "1"]) == 2
    assert "no CUDA device" in capsys.readouterr().err
