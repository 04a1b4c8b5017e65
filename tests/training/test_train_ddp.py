"""Two processes with gloo through torchrun: DDP keeps the ranks identical, only rank 0 writes."""

import json
import subprocess
import sys

import numpy as np
import pytest

from desktop_gan.training import checkpoint as ckpt
from desktop_gan.training.trainer import read_log
from tests.training.conftest import TOY


@pytest.mark.slow
def test_two_process_gloo_run_agrees_and_only_rank0_writes(tmp_path, child_env):
    run, out = tmp_path / "run", tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "tests.training.ddp_worker", str(out), "--",
           TOY, "--out", str(run), "--steps", "8", "--ckpt-every", "4", "--eval-every", "4", "--device", "cpu"]
    proc = subprocess.run(cmd, env=child_env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    r0, r1 = np.load(out / "rank0.npz"), np.load(out / "rank1.npz")
    weights = [k for k in r0.files if k != "first_real"]
    assert weights and set(weights) == {k for k in r1.files if k != "first_real"}
    for k in weights:
        assert np.array_equal(r0[k], r1[k]), f"ranks disagree on {k}"
    assert not np.array_equal(r0["first_real"], r1["first_real"])  # each rank its own shard
    # rank 0's checkpoint holds the same weights
    c = ckpt.latest(run)
    assert c.step == 8
    for k in weights:
        assert np.array_equal(c.tensors[f"module/{k}"].numpy(), r0[k])
    w0, w1 = (json.loads((out / f"writes{r}.json").read_text()) for r in (0, 1))
    assert w0["rc"] == 0 and w1["rc"] == 0
    assert any(kind == "replace" and path.endswith("status.json") for kind, path in w0["writes"])
    assert w1["writes"] == [], w1["writes"][:5]
    log = read_log(run / "log.jsonl")
    assert log[0]["world"] == 2
    assert [r["step"] for r in log if r["type"] == "train"] == list(range(1, 9))
    assert len([r for r in log if r["type"] == "eval"]) == 2
    assert (run / "export" / "toy.safetensors").exists()
    assert not [r for r in log if r["type"] == "warning"]


@pytest.mark.slow
def test_a_task_that_bypasses_ddp_still_keeps_ranks_identical(tmp_path, child_env):
    run, out = tmp_path / "run", tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
           "-m", "tests.training.ddp_worker", str(out), "--",
           TOY, "--out", str(run), "--steps", "3", "--ckpt-every", "2", "--eval-every", "0", "--device", "cpu",
           "--set", "bypass_ddp=true", "--no-export"]
    proc = subprocess.run(cmd, env=child_env, capture_output=True, text=True, timeout=240)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    r0, r1 = np.load(out / "rank0.npz"), np.load(out / "rank1.npz")
    for k in r0.files:
        if k != "first_real":
            assert np.array_equal(r0[k], r1[k]), f"ranks disagree on {k}"
    assert not [r for r in read_log(run / "log.jsonl") if r["type"] == "warning"]
