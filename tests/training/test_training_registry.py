"""Task registry (lazy, by string) and the model lists the app shows."""

import numpy as np
import pytest

from desktop_gan.io.modelfile import save_model
from desktop_gan.training.registry import (TASKS, TaskError, data_args, find_models, install_model, make_task,
                                           resolve_task, task_kind)
from tests.training.conftest import TOY


def test_registered_names_point_at_the_tasks():
    assert TASKS["enhancer"] == "desktop_gan.training.enhancer_task:EnhancerTask"
    assert TASKS["drums"] == "desktop_gan.training.drums_task:DrumsTask"
    assert [kw for kw, _, _ in data_args("enhancer")] == ["clean_dir", "noise_dir"]
    assert [flag for _, flag, _ in data_args("drums")] == ["--data"]


def test_dotted_path_and_errors():
    cls = resolve_task(TOY)
    assert cls.__name__ == "ToyTask" and task_kind(TOY) == "toy"
    assert data_args(TOY) == [("data_dir", "--data", "Toy data folder")]
    task = make_task(TOY, data_dir=None, batch=4)
    assert task.cfg["batch"] == 4 and task.data_dir is None
    with pytest.raises(TaskError, match="unknown task"):
        resolve_task("painting")
    with pytest.raises(TaskError, match="cannot import"):
        resolve_task("no_such_module_xyz:Task")
    with pytest.raises(TaskError, match="has no"):
        resolve_task("tests.training.toy_task:Nope")


def _model(path, kind):
    save_model(path, {"w": np.zeros(3, np.float32)}, {"kind": kind, "version": 1})


def test_find_models_lists_shipped_user_and_run_exports(tmp_path):
    shipped, user, runs = tmp_path / "shipped", tmp_path / "user", tmp_path / "runs"
    _model(shipped / "enhancer.safetensors", "enhancer")
    _model(user / "mine.safetensors", "enhancer")
    _model(user / "kit.safetensors", "drums")
    _model(runs / "r1" / "export" / "enhancer.safetensors", "enhancer")
    (user / "broken.json").write_text("{")
    (user / "broken.safetensors").write_bytes(b"x")
    found = find_models("enhancer", dirs=[shipped, user], runs_dir=runs)
    assert [(m.path.name, m.source) for m in found] == [
        ("enhancer.safetensors", "user"), ("mine.safetensors", "user"), ("enhancer.safetensors", "run")]
    assert [m.kind for m in find_models(None, dirs=[user])] == ["drums", "enhancer"]


def test_find_models_default_dirs_include_the_shipped_enhancer():
    found = find_models("enhancer")
    assert any(m.source == "shipped" and m.path.name == "enhancer.safetensors" for m in found)


def test_install_model_copies_a_loadable_pair_without_overwriting(tmp_path):
    src = tmp_path / "run" / "export" / "toy.safetensors"
    _model(src, "toy")
    a = install_model(src, tmp_path / "models", name="toy-run")
    b = install_model(src, tmp_path / "models", name="toy-run")
    assert a.name == "toy-run.safetensors" and b.name == "toy-run-2.safetensors"
    assert sorted(m.path for m in find_models("toy", dirs=[tmp_path / "models"])) == sorted([a, b])
