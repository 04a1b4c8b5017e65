"""`desktop-gan generate` / `oneshots`: outputs on success; one clear line on stderr and exit 2 on bad input."""

import numpy as np
import pytest
import soundfile as sf

from desktop_gan.cli import main
from desktop_gan.core.params import LoopParams


@pytest.mark.parametrize("argv,needle", [
    (["generate", "--bpm", "0", "--out", "{d}/a.wav"], "BPM"),
    (["generate", "--bpm", "120", "--bars", "9", "--out", "{d}/a.wav"], "bars"),
    (["generate", "--bpm", "120", "--style", "polka", "--out", "{d}/a.wav"], "style"),
    (["generate", "--bpm", "120", "--swing", "0.9", "--out", "{d}/a.wav"], "swing"),
    (["generate", "--bpm", "120", "--sr", "22050", "--out", "{d}/a.wav"], "44100"),
    (["generate", "--bpm", "120", "--out", "{d}/missing/dir/a.wav"], "does not exist"),
    (["generate", "--bpm", "120", "--out", "/dev/null/a.wav"], "cannot write"),
    (["generate", "--bpm", "120", "--out", "{d}"], "folder"),
    (["generate", "--bpm", "fast", "--out", "{d}/a.wav"], "invalid float"),
    (["oneshots", "--kind", "cowbell", "--count", "2", "--out", "{d}/o"], "unknown kind"),
    (["oneshots", "--kind", "kick", "--count", "0", "--out", "{d}/o"], "--count"),
    (["oneshots", "--kind", "kick", "--count", "2", "--out", "/dev/null/o"], "cannot create"),
])
def test_bad_arguments_exit_2_with_one_line(argv, needle, tmp_path, capsys):
    rc = main([a.format(d=tmp_path) for a in argv])
    err = capsys.readouterr().err.strip().splitlines()
    assert rc == 2
    assert needle in err[-1]
    if "invalid float" not in needle:  # argparse adds its usage line; ours are one line
        assert len(err) == 1


def test_generate_writes_loop_stems_and_midi(tmp_path, model_files):
    drums, patterns = model_files
    out = tmp_path / "loop.wav"
    argv = ["generate", "--bpm", "93", "--bars", "2", "--seed", "7", "--out", str(out), "--sr", "44100",
            "--swing", "0.2", "--style", "boom-bap", "--stems", str(tmp_path / "stems"), "--midi",
            str(tmp_path / "loop.mid"), "--drums-model", str(drums), "--patterns-model", str(patterns)]
    assert main(argv) == 0
    mix, sr = sf.read(out, dtype="float32")
    assert sr == 44100 and len(mix) == LoopParams(bpm=93, bars=2, samplerate=44100).length_samples
    stems = [sf.read(p, dtype="float32")[0] for p in sorted((tmp_path / "stems").glob("*.wav"))]
    assert len(stems) == 8
    np.testing.assert_allclose(np.sum(stems, axis=0), mix, atol=1e-6)
    assert (tmp_path / "loop.mid").read_bytes()[:4] == b"MThd"
    assert main(argv) == 0
    again, _ = sf.read(out, dtype="float32")  # (float WAVs carry a time stamp in their PEAK chunk)
    assert again.tobytes() == mix.tobytes()  # same seed and settings: the same audio bit for bit


def test_oneshots_writes_count_files(tmp_path, model_files):
    drums, _ = model_files
    assert main(["oneshots", "--kind", "snare", "--count", "3", "--seed", "1", "--out", str(tmp_path / "o"),
                 "--model", str(drums)]) == 0
    files = sorted((tmp_path / "o").glob("snare_1_*.wav"))
    assert len(files) == 3
    x, sr = sf.read(files[0])
    assert sr == 48000 and 0 < np.max(np.abs(x)) <= 1.0
