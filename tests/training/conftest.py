"""Shared bits for the trainer's tests: the repo root on sys.path (for ``tests.training.toy_task``,
also in subprocesses via PYTHONPATH), one torch thread, and small audio folders."""

import os
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[2]
TOY = "tests.training.toy_task:ToyTask"

if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


@pytest.fixture(autouse=True)
def _one_thread():
    import torch

    n = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(n)


@pytest.fixture
def child_env():
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(ROOT), env.get("PYTHONPATH", "")) if p)
    env.setdefault("OMP_NUM_THREADS", "1")
    return env


def write_wav(path: Path, x: np.ndarray, sr: int = 8000) -> Path:
    import soundfile as sf

    path.parent.mkdir(parents=True, exist_ok=True)
    sf.write(str(path), x.astype(np.float32), sr)
    return path


@pytest.fixture
def messy_folder(tmp_path):
    """Two good files in two kinds, and one each of unreadable, silent, clipped and too short."""
    root = tmp_path / "data"
    t = np.arange(4000) / 8000
    write_wav(root / "kick" / "good1.wav", 0.5 * np.sin(2 * np.pi * 60 * t))
    write_wav(root / "snare" / "good2.wav", 0.3 * np.sin(2 * np.pi * 200 * t), sr=16000)
    write_wav(root / "kick" / "silent.wav", np.zeros(4000))
    write_wav(root / "kick" / "clipped.wav", np.clip(3 * np.sin(2 * np.pi * 60 * t), -1, 1))
    write_wav(root / "snare" / "short.wav", 0.5 * np.sin(2 * np.pi * 200 * t[:40]))
    (root / "snare" / "broken.wav").write_bytes(b"RIFF\x00\x00\x00\x00WAVEjunk")
    (root / "notes.txt").write_text("not audio")
    return root
