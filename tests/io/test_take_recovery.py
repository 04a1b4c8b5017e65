"""Interrupted takes: the marker's life cycle, header repair, and what is (not) offered."""

import struct
import subprocess
import sys

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.audio.recorder import Recorder
from desktop_gan.io.take_recovery import (RecoveryError, find_interrupted, marker_path, recover, repair_wav,
                                          write_marker)


def _stale_header(path, frames_counted):
    """Make the header count fewer frames than the file holds (a kill between header updates)."""
    raw = bytearray(path.read_bytes())
    i = raw.find(b"data")
    block = sf.info(str(path)).channels * 4
    data_start = i + 8
    raw[i + 4:i + 8] = struct.pack("<I", frames_counted * block)
    raw[4:8] = struct.pack("<I", data_start - 8 + frames_counted * block)
    f = raw.find(b"fact")
    if 0 < f < i:
        raw[f + 8:f + 12] = struct.pack("<I", frames_counted)
    path.write_bytes(bytes(raw))


def _dead_pid() -> int:
    """The pid of a process that has ended (what a crashed recording's marker names)."""
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def test_marker_lives_exactly_as_long_as_the_recording(tmp_path):
    take = tmp_path / "take.wav"
    rec = Recorder(take, 48000, 2, poll_interval=0.01)
    assert marker_path(take).is_file()
    assert find_interrupted(tmp_path) == []  # a take this process is recording is not "interrupted"
    rec.push(np.zeros((4800, 2), np.float32))
    rec.stop()
    assert not marker_path(take).exists()
    assert find_interrupted(tmp_path) == []


def test_stale_header_is_repaired_to_every_frame_on_disk(tmp_path):
    take = tmp_path / "take.wav"
    x = np.random.default_rng(1).uniform(-0.5, 0.5, (48000, 2)).astype(np.float32)
    sf.write(str(take), x, 48000, subtype="FLOAT")
    _stale_header(take, 12000)
    with open(take, "ab") as fh:
        fh.write(b"\x00\x01\x02")  # a partial frame at the end is left out, not invented
    write_marker(take, 48000, 2, pid=_dead_pid())
    (item,) = find_interrupted(tmp_path)
    assert item.frames_in_header == 12000 and item.frames_on_disk == 48000
    assert item.seconds == pytest.approx(1.0)
    assert recover(item) == take
    y, sr = sf.read(str(take), dtype="float32")
    assert sr == 48000 and len(y) == 48000
    np.testing.assert_array_equal(y, x)
    assert not marker_path(take).exists()


def test_a_finished_file_with_trailing_chunks_is_left_alone(tmp_path):
    take = tmp_path / "done.wav"
    sf.write(str(take), np.zeros((1000, 1), np.float32), 48000, subtype="FLOAT")
    raw = take.read_bytes()
    tail = b"LIST" + struct.pack("<I", 4) + b"INFO"
    raw = raw + tail
    raw = raw[:4] + struct.pack("<I", len(raw) - 8) + raw[8:]
    take.write_bytes(raw)
    before = take.read_bytes()
    assert repair_wav(take) == 1000
    assert take.read_bytes() == before


def test_markers_without_takes_are_dropped_and_live_recordings_are_not_offered(tmp_path):
    gone = tmp_path / "gone.wav"
    write_marker(gone, 48000, 1)
    live = tmp_path / "live.wav"
    sf.write(str(live), np.zeros((10, 1), np.float32), 48000)
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        write_marker(live, 48000, 1, pid=sleeper.pid)
        assert find_interrupted(tmp_path) == []
        assert not marker_path(gone).exists()
    finally:
        sleeper.kill()
        sleeper.wait()
    (item,) = find_interrupted(tmp_path)  # its process is gone now: offered
    assert item.take == live


def test_a_corrupt_marker_still_names_its_take_and_a_non_wav_is_refused(tmp_path):
    take = tmp_path / "t.wav"
    take.write_bytes(b"not a wav at all")
    marker_path(take).write_text("{broken")
    (item,) = find_interrupted(tmp_path)
    assert item.take == take and item.frames_on_disk == 0
    with pytest.raises(RecoveryError, match="not a WAV"):
        repair_wav(take)
