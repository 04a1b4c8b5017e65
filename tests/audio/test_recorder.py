"""Recorder without a device: frames pushed as a callback would arrive on disk, in order, intact."""

import time

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.audio.recorder import Recorder, RecorderError


@pytest.mark.parametrize("name,subtype,tol", [("a.wav", "FLOAT", 0.0), ("a.flac", "PCM_24", 2.0 ** -22)])
def test_pushed_blocks_land_on_disk(tmp_path, name, subtype, tol):
    rng = np.random.default_rng(0)
    x = rng.uniform(-0.9, 0.9, (30000, 2)).astype(np.float32)
    rec = Recorder(tmp_path / name, 48000, 2, flush_interval=0.02, poll_interval=0.01)
    i = 0
    for n in rng.integers(1, 2000, 100):
        rec.push(x[i:i + n])
        i += int(n)
        if i >= len(x):
            break
        time.sleep(0.001)
    path = rec.stop()
    y, sr = sf.read(path, dtype="float32", always_2d=True)
    assert sr == 48000 and sf.info(path).subtype == subtype
    assert rec.frames_written == len(y) == min(i, len(x)) and rec.error is None
    np.testing.assert_allclose(y, x[: len(y)], atol=tol, rtol=0)


def test_header_is_current_while_recording(tmp_path):
    rec = Recorder(tmp_path / "live.wav", 48000, 1, flush_interval=0.05, poll_interval=0.01)
    rec.push(np.full((4800, 1), 0.25, np.float32))
    time.sleep(0.3)
    assert sf.info(tmp_path / "live.wav").frames == 4800  # readable before the file is closed
    rec.stop()


def test_ring_overflow_is_counted(tmp_path):
    rec = Recorder(tmp_path / "o.wav", 1000, 1, ring_seconds=1.0, poll_interval=5.0)
    rec.push(np.zeros((1500, 1), np.float32))  # the writer sleeps: 500 frames do not fit
    assert rec.overruns == 500
    rec.stop()
    assert rec.frames_written == 1000


def test_bad_targets_are_refused(tmp_path):
    with pytest.raises(RecorderError, match="wav or .flac"):
        Recorder(tmp_path / "x.mp3", 48000, 1)
    with pytest.raises(RecorderError, match="does not exist"):
        Recorder(tmp_path / "missing" / "x.wav", 48000, 1)
