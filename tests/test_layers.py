"""The layers stay apart: lower layers never import upper ones (checked on the source's imports)."""

import ast
from pathlib import Path

import pytest

PKG = Path(__file__).resolve().parents[1] / "desktop_gan"
ORDER = ["core", "dsp", "io", "audio", "models", "runtime", "training", "workers", "ui"]
FORBIDDEN_THIRD_PARTY = {
    "core": {"torch", "PySide6", "pyqtgraph", "sounddevice", "soundfile"},
    "dsp": {"torch", "PySide6", "pyqtgraph", "sounddevice"},
    "io": {"torch", "PySide6", "pyqtgraph", "sounddevice"},
    "audio": {"torch", "PySide6", "pyqtgraph"},
    "models": {"PySide6", "pyqtgraph", "sounddevice"},
    "runtime": {"PySide6", "pyqtgraph", "sounddevice"},
    "training": {"PySide6", "pyqtgraph", "sounddevice"},
}


def _imports(path: Path):
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def _layer_files():
    for layer in ORDER:
        for path in sorted((PKG / layer).rglob("*.py")):
            yield layer, path


@pytest.mark.parametrize("layer,path", list(_layer_files()), ids=lambda v: str(v).split("desktop_gan/")[-1])
def test_layer_imports(layer, path):
    rank = ORDER.index(layer)
    for name in _imports(path):
        parts = name.split(".")
        if parts[0] == "desktop_gan" and len(parts) > 1 and parts[1] in ORDER:
            assert ORDER.index(parts[1]) <= rank, f"{path.name} ({layer}) imports upper layer {name}"
        assert parts[0] not in FORBIDDEN_THIRD_PARTY.get(layer, set()), f"{path.name} ({layer}) imports {name}"


def test_modules_stay_small():
    big = [(p.relative_to(PKG), n) for p in PKG.rglob("*.py") if (n := len(p.read_text().splitlines())) > 600]
    assert not big, f"modules over 600 lines: {big}"


def test_generated_data_does_not_depend_on_the_current_folder(tmp_path, monkeypatch):
    from desktop_gan.io.paths import generated_data_dir

    before = generated_data_dir()
    monkeypatch.chdir(tmp_path)
    assert generated_data_dir() == before == PKG.parent / "data"  # a source checkout keeps it at its root
