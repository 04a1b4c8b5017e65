"""Checkpoint files: round trip without pickle, fallback past damaged files, kill -9 while writing."""

import json
import random
import subprocess
import sys
import time

import pytest
import torch

from desktop_gan.training import checkpoint as ckpt


def _objects(seed=0):
    torch.manual_seed(seed)
    gen, disc = torch.nn.Sequential(torch.nn.Linear(4, 8), torch.nn.BatchNorm1d(8)), torch.nn.Linear(8, 1)
    og = torch.optim.AdamW(gen.parameters(), 1e-3, betas=(0.8, 0.99))
    od = torch.optim.SGD(disc.parameters(), 0.1, momentum=0.9)
    sched = torch.optim.lr_scheduler.StepLR(og, 2, 0.5)
    for _ in range(3):
        og.zero_grad(), od.zero_grad()
        disc(gen(torch.randn(5, 4))).sum().backward()
        og.step(), od.step(), sched.step()
    return {"generator": gen, "discriminator": disc}, {"generator": og, "discriminator": od}, {"g": sched}


def test_round_trip_restores_everything(tmp_path):
    mods, opts, scheds = _objects(0)
    torch.manual_seed(123)
    path = ckpt.save_checkpoint(tmp_path, 3, mods, opts, scheds, {"lr": 1e-3, "betas": (0.8, 0.99)}, {"wall_s": 1.5})
    expected_next = torch.rand(3)
    assert path.name == "step_00000003.json"
    meta = json.loads(path.read_text())
    assert meta["config"]["betas"] == [0.8, 0.99] and meta["extra"] == {"wall_s": 1.5}
    mods2, opts2, scheds2 = _objects(1)
    torch.manual_seed(999)
    c = ckpt.latest(tmp_path)
    ckpt.restore(c, mods2, opts2, scheds2)
    assert torch.equal(torch.rand(3), expected_next)  # RNG state restored
    for role in mods:
        for (k, a), b in zip(mods[role].state_dict().items(), mods2[role].state_dict().values()):
            assert torch.equal(a, b), k
    for role in opts:
        a, b = opts[role].state_dict(), opts2[role].state_dict()
        assert a["param_groups"] == b["param_groups"]
        for i in a["state"]:
            for k in a["state"][i]:
                assert torch.equal(torch.as_tensor(a["state"][i][k]), torch.as_tensor(b["state"][i][k]))
    assert scheds["g"].state_dict() == scheds2["g"].state_dict()


def test_weights_are_safetensors_and_config_is_json(tmp_path):
    mods, opts, scheds = _objects()
    path = ckpt.save_checkpoint(tmp_path, 1, mods, opts, scheds, {})
    head = path.with_suffix(".safetensors").read_bytes()[:8]
    n = int.from_bytes(head, "little")
    header = json.loads(path.with_suffix(".safetensors").read_bytes()[8:8 + n])
    assert "module/generator/0.weight" in header and "optim/generator/state/0/exp_avg" in header


def test_damaged_newest_falls_back_to_previous(tmp_path):
    mods, opts, scheds = _objects()
    ckpt.save_checkpoint(tmp_path, 1, mods, opts, scheds, {})
    p2 = ckpt.save_checkpoint(tmp_path, 2, mods, opts, scheds, {})
    w = p2.with_suffix(".safetensors")
    data = bytearray(w.read_bytes())
    data[-1] ^= 0xFF
    w.write_bytes(bytes(data))
    assert ckpt.latest(tmp_path).step == 1
    with pytest.raises(ckpt.CheckpointError, match="checksum"):
        ckpt.read_checkpoint(p2)
    p2.write_text("{not json")
    assert ckpt.latest(tmp_path).step == 1


def test_keeps_newest_two_and_removes_strays(tmp_path):
    mods, opts, scheds = _objects()
    (tmp_path / "checkpoints").mkdir()
    (tmp_path / "checkpoints" / ".step_00000009.safetensors.abc.part").write_bytes(b"half")
    for s in range(1, 5):
        ckpt.save_checkpoint(tmp_path, s, mods, opts, scheds, {})
    assert sorted(p.name for p in (tmp_path / "checkpoints").iterdir()) == [
        "step_00000003.json", "step_00000003.safetensors", "step_00000004.json", "step_00000004.safetensors"]


def test_unstorable_values_are_refused_clearly(tmp_path):
    mods, opts, scheds = _objects()
    with pytest.raises(ckpt.CheckpointError, match="object"):
        ckpt.save_checkpoint(tmp_path, 1, mods, opts, scheds, {"bad": object()})


@pytest.mark.slow
def test_kill_9_during_checkpoint_writes_never_loses_the_previous_one(tmp_path, child_env):
    rng = random.Random(0)
    last_seen = 0
    for round_ in range(4):
        proc = subprocess.Popen([sys.executable, "-m", "tests.training.ckpt_writer", str(tmp_path), str(last_seen)],
                                env=child_env, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL)
        proc.stdout.readline()  # at least one checkpoint done in this round
        time.sleep(rng.uniform(0.0, 0.4))
        proc.kill()
        proc.wait()
        proc.stdout.close()
        c = ckpt.latest(tmp_path)
        assert c is not None and c.step > last_seen
        # the whole checkpoint is from one step: weights, optimiser state and JSON agree
        assert c.meta["extra"]["step_value"] == c.step
        assert torch.all(c.tensors["module/generator/weight"] == float(c.step))
        assert torch.all(c.tensors["module/discriminator/bias"] == float(c.step))
        last_seen = c.step
    assert last_seen >= 4
