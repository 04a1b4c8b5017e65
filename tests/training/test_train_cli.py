"""``desktop-gan train`` with the toy task: scan report, training, resume, errors."""

import io
import json
from pathlib import Path

from desktop_gan.cli import build_parser
from desktop_gan.commands.train import execute
from desktop_gan.io.modelfile import load_model
from desktop_gan.training import checkpoint as ckpt
from tests.training.conftest import TOY


def _run(argv):
    args = build_parser().parse_args(["train", *argv])
    out = io.StringIO()
    return execute(args, out=out), out.getvalue()


def test_cli_scans_trains_and_exports(tmp_path, messy_folder):
    run = tmp_path / "run"
    rc, text = _run([TOY, "--data", str(messy_folder), "--out", str(run), "--steps", "12", "--ckpt-every", "5",
                     "--eval-every", "6", "--set", "batch=4"])
    assert rc == 0, text
    assert "2 usable files" in text and "unreadable" in text and "clipped" in text
    assert "done at step 12" in text and "eval @ 6" in text
    plan = json.loads((run / "run.json").read_text())
    assert plan["task"] == TOY and plan["kwargs"]["batch"] == 4 and plan["train"]["steps"] == 12
    _, cfg = load_model(run / "export" / "toy.safetensors", "toy")
    data = cfg["training"]["data"]["data_dir"]
    assert data["files"] == 2 and len(data["skipped"]) == 4
    assert ckpt.latest(run).step == 12


def test_toy_task_receives_only_the_good_files(tmp_path, messy_folder, monkeypatch):
    from desktop_gan.commands.train import build_task

    plan = {"task": TOY, "kwargs": {"data_dir": str(messy_folder)}, "train": {}}
    task, scan = build_task(plan, tmp_path, "toy", lambda s: None)
    assert sorted(Path(f).name for f in task.files["data_dir"]) == ["good1.wav", "good2.wav"]


def test_a_folder_task_gets_a_folder_without_the_skipped_files(tmp_path, messy_folder):
    from desktop_gan.commands.train import build_task

    plan = {"task": "tests.training.toy_task:FolderToyTask", "kwargs": {"data_dir": str(messy_folder)}, "train": {}}
    task, scan = build_task(plan, tmp_path, "toy", lambda s: None)
    assert task.data_dir == tmp_path / "data" / "data_dir"
    assert sorted(str(p.relative_to(task.data_dir)) for p in task.data_dir.rglob("*.wav")) == [
        "kick/good1.wav", "snare/good2.wav"]
    assert scan["data_dir"]["files"] == 2 and len(scan["data_dir"]["skipped"]) == 4


def test_from_model_is_passed_resolved(tmp_path):
    run_a, run_b = tmp_path / "a", tmp_path / "b"
    assert _run([TOY, "--out", str(run_a), "--steps", "2"])[0] == 0
    rc, text = _run([TOY, "--out", str(run_b), "--steps", "2", "--from", str(run_a / "export" / "toy.safetensors")])
    assert rc == 0, text
    plan = json.loads((run_b / "run.json").read_text())
    assert plan["kwargs"]["from_model"] == str((run_a / "export" / "toy.safetensors").resolve())


def test_average_from_reaches_the_export_and_survives_a_resume(tmp_path):
    run = tmp_path / "run"
    assert _run([TOY, "--out", str(run), "--steps", "6", "--ckpt-every", "2", "--average-from", "2"])[0] == 0
    assert json.loads((run / "run.json").read_text())["train"]["average_from"] == 2
    rc, text = _run(["--resume", "--out", str(run), "--steps", "10"])  # the plan keeps the setting
    assert rc == 0, text
    _, cfg = load_model(run / "export" / "toy.safetensors", "toy")
    assert cfg["training"]["weight_average"]["steps"] == [2, 4, 6, 8, 10]


def test_cli_resume_reads_the_plan(tmp_path):
    run = tmp_path / "run"
    assert _run([TOY, "--out", str(run), "--steps", "4", "--no-export"])[0] == 0
    rc, text = _run(["--resume", "--out", str(run), "--steps", "7", "--no-export"])
    assert rc == 0 and "resume toy at step 4 of 7" in text and "done at step 7" in text
    assert json.loads((run / "run.json").read_text())["train"]["steps"] == 7


def test_cli_errors_are_messages(tmp_path):
    rc, text = _run(["--out", str(tmp_path / "x")])
    assert rc == 2 and "name the task" in text
    rc, text = _run([TOY, "--clean", str(tmp_path), "--out", str(tmp_path / "y")])
    assert rc == 2 and "--clean does not apply" in text
    rc, text = _run([TOY, "--data", str(tmp_path / "missing"), "--out", str(tmp_path / "z")])
    assert rc == 2 and "folder not found" in text
    assert _run([TOY, "--out", str(tmp_path / "w"), "--steps", "2", "--no-export"])[0] == 0
    rc, text = _run([TOY, "--out", str(tmp_path / "w"), "--steps", "2"])
    assert rc == 1 and "resume it or choose a new folder" in text
