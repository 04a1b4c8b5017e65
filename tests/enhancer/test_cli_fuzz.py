"""Fuzz ``desktop-gan enhance`` (in-process, the real CLI entry point and the shipped model) with
broken and odd files: OUT is written at IN's rate, channels and length, or one clear line goes to
stderr with exit code 2 and nothing is written. Never a traceback."""

from __future__ import annotations

import numpy as np
import soundfile as sf
from hypothesis import HealthCheck, given, settings

from desktop_gan.cli import main
from desktop_gan.io.audiofile import AudioFileError, load_audio
from fuzzfiles import odd_files

N_EXAMPLES = 200


@settings(max_examples=N_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=odd_files())
def test_enhance_cli_on_odd_files(tmp_path, capsys, case):
    ext, data = case
    n = len(list(tmp_path.glob("in*")))
    src, dst = tmp_path / f"in{n}{ext}", tmp_path / f"out{n}.wav"
    src.write_bytes(data)
    capsys.readouterr()
    rc = main(["enhance", str(src), str(dst)])
    out, err = capsys.readouterr()
    try:
        audio = load_audio(src)
    except AudioFileError as exc:
        assert rc == 2 and not dst.exists()
        lines = err.strip().splitlines()
        assert len(lines) == 1 and lines[0] == f"desktop-gan enhance: {exc}", err
        return
    assert rc == 0, err
    info = sf.info(str(dst))
    assert (info.samplerate, info.channels, info.frames) == (audio.samplerate, audio.channels, audio.frames)
    y, _ = sf.read(str(dst), dtype="float32")
    assert np.isfinite(y).all() and np.max(np.abs(y), initial=0) <= 1.0
