"""The trainer end to end on the toy task: logs, checkpoints, eval/previews, export, exact resume."""

import json

import numpy as np
import pytest
import torch

from desktop_gan.io.audiofile import load_audio
from desktop_gan.io.modelfile import load_model
from desktop_gan.training import checkpoint as ckpt
from desktop_gan.training.trainer import TrainConfig, TrainingError, read_log, train, write_control
from tests.training.toy_task import ToyTask


def test_short_run_logs_checkpoints_evaluates_and_exports(tmp_path, expected_torch_device):
    run = tmp_path / "run"
    res = train(ToyTask(), run, TrainConfig(steps=40, ckpt_every=10, eval_every=20, seed=3),
                record={"data": {"note": "toy"}})
    assert (res.state, res.step) == ("done", 40)
    log = read_log(run / "log.jsonl")
    assert log[0]["type"] == "start" and log[0]["device"].split(":")[0] == expected_torch_device  # no silent fallback
    steps = [r for r in log if r["type"] == "train"]
    assert [r["step"] for r in steps] == list(range(1, 41))
    assert all(np.isfinite(r["d_loss"]) and np.isfinite(r["g_loss"]) and r["steps_per_s"] > 0 for r in steps)
    assert {"hinge"} <= set(steps[0]["d"]) and {"adv", "rec"} <= set(steps[0]["g"])
    assert len({round(r["g_loss"], 6) for r in steps}) > 10  # the losses move
    evals = [r for r in log if r["type"] == "eval"]
    assert [e["step"] for e in evals] == [20, 40]
    wav = load_audio(evals[0]["previews"][0])
    assert wav.samplerate == 8000 and wav.data.shape[0] == 256
    # the newest two checkpoints are kept, both complete
    names = sorted(p.name for p in (run / "checkpoints").iterdir())
    assert names == ["step_00000030.json", "step_00000030.safetensors", "step_00000040.json", "step_00000040.safetensors"]
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "done" and status["step"] == 40 and status["export"] == str(res.export)
    # the export loads, holds the final generator and its training record
    tensors, cfg = load_model(res.export, "toy")
    last = ckpt.latest(run)
    for k, v in tensors.items():
        assert np.array_equal(v, last.tensors[f"module/generator/{k}"].numpy())
    rec = cfg["training"]
    assert rec["steps"] == 40 and rec["metrics"]["spec_l1"] == evals[-1]["metrics"]["spec_l1"]
    assert rec["data"] == {"note": "toy"} and rec["wall_time_s"] > 0
    assert ("CUDA" if expected_torch_device == "cuda" else "CPU") in rec["hardware"]


def test_export_can_average_the_generator_over_the_last_checkpoints(tmp_path):
    """``average_from``: checkpoints from that step on are kept, and the export holds the mean of their
    generator weights (from step 15 with checkpoints every 10: steps 20, 30 and the last, 40), with its
    own evaluation; the last checkpoint keeps the raw weights, so a resume goes on from them."""
    run = tmp_path / "run"
    res = train(ToyTask(), run, TrainConfig(steps=40, ckpt_every=10, eval_every=0, seed=3, average_from=15))
    names = sorted(p.name for p in (run / "checkpoints").iterdir() if p.suffix == ".json")
    assert names == ["step_00000020.json", "step_00000030.json", "step_00000040.json"]
    tensors, cfg = load_model(res.export, "toy")
    ckpts = [ckpt.read_checkpoint(run / "checkpoints" / n) for n in names]
    for k, v in tensors.items():
        parts = [c.tensors[f"module/generator/{k}"].double().numpy() for c in ckpts]
        np.testing.assert_allclose(v, np.mean(parts, axis=0), rtol=1e-6, atol=1e-7)
        assert not np.array_equal(v, parts[-1].astype(v.dtype))  # not simply the last step's weights
    rec = cfg["training"]
    assert rec["weight_average"] == {"from_step": 15, "steps": [20, 30, 40]}
    evals = [r for r in read_log(run / "log.jsonl") if r["type"] == "eval"]
    assert evals[-1].get("weights") == "average" and rec["metrics"] == evals[-1]["metrics"]
    assert evals[-1]["metrics"] != evals[0]["metrics"]  # the average was evaluated, not the last weights


def _final(run):
    c = ckpt.latest(run)
    return c.step, c.tensors, c.meta


@pytest.mark.parametrize("sched", [False, True])
def test_resume_is_bit_exact(tmp_path, sched):
    cfg = dict(ckpt_every=5, eval_every=0, export=False, seed=7)
    train(ToyTask(sched=sched), tmp_path / "a", TrainConfig(steps=12, **cfg))
    train(ToyTask(sched=sched), tmp_path / "b", TrainConfig(steps=5, **cfg))
    assert ckpt.latest(tmp_path / "b").step == 5
    res = train(ToyTask(sched=sched), tmp_path / "b", TrainConfig(steps=12, resume=True, **cfg))
    assert res.step == 12
    sa, ta, ma = _final(tmp_path / "a")
    sb, tb, mb = _final(tmp_path / "b")
    assert sa == sb == 12 and set(ta) == set(tb)
    assert any(k.startswith("optim/generator/state/") for k in ta)
    for k in ta:
        assert torch.equal(ta[k], tb[k]), k
    assert ma["rng"] == mb["rng"] and ma["schedulers"] == mb["schedulers"]
    la = [(r["step"], r["d_loss"], r["g_loss"]) for r in read_log(tmp_path / "a" / "log.jsonl") if r["type"] == "train"]
    lb = [(r["step"], r["d_loss"], r["g_loss"]) for r in read_log(tmp_path / "b" / "log.jsonl") if r["type"] == "train"]
    assert la == lb  # the same losses at every step, logged once each


def test_resume_cuts_log_back_to_the_checkpoint(tmp_path):
    run = tmp_path / "run"
    train(ToyTask(), run, TrainConfig(steps=8, ckpt_every=4, export=False))
    # pretend the process died after step 8 had been logged but before its checkpoint: drop the
    # step-8 checkpoint and add a torn line
    for p in (run / "checkpoints").glob("step_00000008.*"):
        p.unlink()
    with open(run / "log.jsonl", "a") as fh:
        fh.write('{"type": "train", "step": 9, "d_lo')
    res = train(ToyTask(lr=1e-3), run, TrainConfig(steps=10, ckpt_every=4, resume=True, export=False))
    assert res.step == 10
    [warn] = [r for r in read_log(run / "log.jsonl") if r["type"] == "warning"]
    assert warn["step"] == 4 and warn["message"].endswith("differ from the checkpoint's: lr")
    steps = [r["step"] for r in read_log(run / "log.jsonl") if r["type"] == "train"]
    assert steps == list(range(1, 11))


def test_refuses_to_overwrite_a_run_without_resume(tmp_path):
    train(ToyTask(), tmp_path, TrainConfig(steps=2, export=False))
    with pytest.raises(TrainingError, match="resume"):
        train(ToyTask(), tmp_path, TrainConfig(steps=4, export=False))


def test_resume_with_incompatible_model_is_a_clear_error(tmp_path):
    train(ToyTask(hidden=16), tmp_path, TrainConfig(steps=2, export=False))
    with pytest.raises(TrainingError, match="cannot resume"):
        train(ToyTask(hidden=32), tmp_path, TrainConfig(steps=4, resume=True, export=False))


def test_non_finite_loss_stops_with_error_and_keeps_last_checkpoint(tmp_path):
    with pytest.raises(TrainingError, match="not finite at step 7"):
        train(ToyTask(nan_at=7), tmp_path, TrainConfig(steps=20, ckpt_every=5, export=False))
    assert ckpt.latest(tmp_path).step == 5
    status = json.loads((tmp_path / "status.json").read_text())
    assert status["state"] == "failed" and "not finite" in status["error"]
    assert read_log(tmp_path / "log.jsonl")[-1]["type"] == "error"


def test_control_file_stop_writes_checkpoint_and_resume_finishes(tmp_path):
    seen = []

    def on_record(rec):
        seen.append(rec)
        if rec["type"] == "train" and rec["step"] == 6:
            write_control(tmp_path, "stop")

    res = train(ToyTask(), tmp_path, TrainConfig(steps=50, ckpt_every=100, export=False), on_record=on_record)
    assert (res.state, res.step) == ("stopped", 6)
    assert ckpt.latest(tmp_path).step == 6
    assert json.loads((tmp_path / "status.json").read_text())["state"] == "stopped"
    write_control(tmp_path, "run")
    res = train(ToyTask(), tmp_path, TrainConfig(steps=9, ckpt_every=100, resume=True, export=False))
    assert (res.state, res.step) == ("done", 9)


def test_pause_holds_steps_until_run(tmp_path):
    import threading
    import time

    steps_during_pause = []
    paused_at = {}

    def on_record(rec):
        if rec["type"] == "train" and rec["step"] == 3:
            write_control(tmp_path, "pause")
            paused_at["t"] = time.monotonic()

            def later():
                time.sleep(0.6)
                steps_during_pause.append(json.loads((tmp_path / "status.json").read_text())["state"])
                write_control(tmp_path, "run")
            threading.Thread(target=later).start()

    t0 = time.monotonic()
    res = train(ToyTask(), tmp_path, TrainConfig(steps=6, export=False), on_record=on_record)
    assert res.step == 6 and time.monotonic() - t0 >= 0.6
    assert steps_during_pause == ["paused"]
    states = [r["state"] for r in read_log(tmp_path / "log.jsonl") if r["type"] == "state"]
    assert states == ["paused", "running"]
    assert res.wall_s < time.monotonic() - t0 - 0.4  # paused time is not counted as training time


def test_stop_flag_stops_like_the_control_file(tmp_path):
    calls = {"n": 0}

    def flag():
        calls["n"] += 1
        return calls["n"] > 4

    res = train(ToyTask(), tmp_path, TrainConfig(steps=100, export=False), stop_flag=flag)
    assert (res.state, res.step) == ("stopped", 4)


def test_averaging_without_checkpoints_is_refused_before_training(tmp_path):
    with pytest.raises(TrainingError, match="needs checkpoints"):
        train(ToyTask(), tmp_path / "run", TrainConfig(steps=4, ckpt_every=0, average_from=2))
    assert not (tmp_path / "run" / "log.jsonl").exists()  # nothing ran


def test_cuda_request_without_cuda_is_clear(tmp_path):
    if torch.cuda.is_available():
        pytest.skip("CUDA present")
    with pytest.raises(TrainingError, match="CUDA"):
        train(ToyTask(), tmp_path, TrainConfig(steps=1, device="cuda"))
