"""The training process worker: a real subprocess driven through control.json, watched via its log."""

import json
import time

import pytest

from desktop_gan.training import checkpoint as ckpt
from desktop_gan.workers.training_process import LogTail, TrainingProcess, build_command, find_runs
from tests.training.conftest import TOY


def _until(tp, cond, timeout=60.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tp.poll()
        if cond():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out; progress {tp.progress}; output:\n{tp.output_tail()}")


def test_build_command():
    cmd = build_command(TOY, "/r", data={"--data": "/d", "--clean": None}, steps=10, device="cpu",
                        average_from=6, settings={"batch": 4}, resume=True)
    assert cmd[1:] == ["-m", "desktop_gan.train", TOY, "--out", "/r", "--data", "/d", "--steps", "10",
                       "--device", "cpu", "--average-from", "6", "--set", "batch=4", "--resume"]


def test_log_tail_handles_partial_lines_and_rewrites(tmp_path):
    p = tmp_path / "log.jsonl"
    tail = LogTail(p)
    assert tail.read() == ([], False)
    p.write_text('{"step": 1}\n{"step": 2')
    assert tail.read() == ([{"step": 1}], False)
    with open(p, "a") as fh:
        fh.write('}\n')
    assert tail.read() == ([{"step": 2}], False)
    ckpt.atomic_write(p, b'{"step": 1}\n')
    assert tail.read() == ([{"step": 1}], True)


@pytest.mark.slow
def test_start_pause_resume_stop_then_resume_to_done(tmp_path, child_env):
    run = tmp_path / "runs" / "toy1"
    tp = TrainingProcess.start(TOY, run, steps=100000, ckpt_every=1000, eval_every=0, env=child_env,
                               settings={"step_sleep": 0.01})
    _until(tp, lambda: tp.progress.step >= 5)
    assert tp.running and tp.progress.state == "running" and tp.progress.total == 100000
    assert tp.progress.steps_per_s > 0 and tp.progress.eta_s > 0
    assert len(tp.curves.g) == len(tp.curves.d) == len(tp.curves.rec) == len(tp.curves.step) >= 5
    tp.pause()
    _until(tp, lambda: tp.progress.state == "paused")
    held = tp.progress.step
    time.sleep(0.6)
    tp.poll()
    assert tp.progress.step == held
    tp.resume()
    _until(tp, lambda: tp.progress.step > held + 3)
    assert tp.progress.state == "running"
    runs = find_runs(tmp_path / "runs")
    assert [(r.run_dir, r.state, r.alive) for r in runs] == [(run, "running", True)]
    tp.stop()
    assert tp.wait(60) == 0
    tp.poll()
    assert tp.progress.state == "stopped" and not tp.running
    stopped_at = tp.progress.step
    assert ckpt.latest(run).step == stopped_at
    [info] = find_runs(tmp_path / "runs")
    assert (info.state, info.step, info.task) == ("stopped", stopped_at, TOY)
    # continue to the end from the saved plan, with fewer total steps
    tp2 = TrainingProcess.start(None, run, resume=True, steps=stopped_at + 5, env=child_env,
                                settings={"step_sleep": 0.0})
    assert tp2.wait(120) == 0, tp2.output_tail()
    tp2.poll()
    assert tp2.progress.state == "done" and tp2.progress.step == stopped_at + 5
    assert tp2.curves.step[-1] == stopped_at + 5 and tp2.evals
    assert tp2.record()["training"]["steps"] == stopped_at + 5
    assert find_runs(tmp_path / "runs") == []
    assert [r.state for r in find_runs(tmp_path / "runs", include_done=True)] == ["done"]


@pytest.mark.slow
def test_kill_9_then_resume_continues_from_last_checkpoint(tmp_path, child_env):
    run = tmp_path / "runs" / "k"
    tp = TrainingProcess.start(TOY, run, steps=100000, ckpt_every=7, env=child_env, settings={"step_sleep": 0.005})
    _until(tp, lambda: tp.progress.step >= 30)
    tp.kill()
    tp.wait(30)
    [info] = find_runs(tmp_path / "runs")
    assert info.state == "interrupted" and not info.alive
    last = ckpt.latest(run)
    assert last.step % 7 == 0 and last.step >= 28
    tp2 = TrainingProcess.start(None, run, resume=True, steps=last.step + 3, env=child_env,
                                settings={"step_sleep": 0.0})
    assert tp2.wait(120) == 0, tp2.output_tail()
    tp2.poll()
    assert tp2.progress.step == last.step + 3
    steps = [s for s in tp2.curves.step]
    assert steps == list(range(1, last.step + 4))  # no duplicated or lost steps in the log
    status = json.loads((run / "status.json").read_text())
    assert status["state"] == "done"


@pytest.mark.slow
def test_ctrl_c_in_the_cli_stops_with_a_checkpoint(tmp_path, child_env):
    import signal
    import subprocess
    import sys

    run = tmp_path / "run"
    proc = subprocess.Popen([sys.executable, "-m", "desktop_gan", "train", TOY, "--out", str(run), "--steps",
                             "100000", "--ckpt-every", "100000", "--set", "step_sleep=0.01"],
                            env=child_env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    tp = TrainingProcess.attach(run)
    _until(tp, lambda: tp.progress.step >= 5)
    proc.send_signal(signal.SIGINT)
    out, _ = proc.communicate(timeout=60)
    assert proc.returncode == 0, out
    assert "stopped at step" in out
    tp.poll()
    assert tp.progress.state == "stopped"
    assert ckpt.latest(run).step == tp.progress.step >= 5
