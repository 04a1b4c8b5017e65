"""Audio files: every supported layout loads exactly; broken files are refused with a clear message."""

import os
import resource
import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile as sf
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop_gan.io.audiofile import AudioFileError, load_audio, save_audio
from fuzzfiles import wav_header

SUBTYPES = {"PCM_U8": 2 / 256, "PCM_16": 2 / 32768, "PCM_24": 2 / 2**23, "PCM_32": 2 / 2**31, "FLOAT": 1e-7, "DOUBLE": 1e-7}


@pytest.mark.parametrize("subtype", list(SUBTYPES))
@pytest.mark.parametrize("rate,channels", [(8000, 1), (22050, 2), (44100, 6), (96000, 8), (192000, 2)])
def test_layouts_load_exactly(tmp_path, subtype, rate, channels):
    rng = np.random.default_rng(rate + channels)
    x = (rng.uniform(-0.9, 0.9, size=(257, channels))).astype(np.float64)
    path = tmp_path / f"x_{subtype}.wav"
    sf.write(path, x, rate, subtype=subtype)
    audio = load_audio(path)
    assert audio.samplerate == rate and audio.data.shape == (257, channels)
    assert audio.data.dtype == np.float32
    assert np.max(np.abs(audio.data - x)) <= max(SUBTYPES[subtype], 1e-7) * 1.01  # float32 output


@pytest.mark.parametrize("fmt,ext", [("FLAC", ".flac"), ("OGG", ".ogg"), ("MP3", ".mp3")])
def test_compressed_formats_read(tmp_path, fmt, ext):
    t = np.arange(48000) / 48000
    x = 0.5 * np.sin(2 * np.pi * 440 * t)
    path = tmp_path / f"tone{ext}"
    sf.write(path, np.stack([x, x], 1), 48000, format=fmt)
    audio = load_audio(path)
    assert audio.channels == 2 and abs(audio.frames - 48000) < 2000
    assert 0.3 < np.max(np.abs(audio.data)) < 0.7


def _bad_files(tmp_path):
    good = tmp_path / "good.wav"
    sf.write(good, np.zeros((4800, 1)), 48000)
    raw = good.read_bytes()
    (tmp_path / "empty.wav").write_bytes(b"")
    (tmp_path / "truncated.wav").write_bytes(raw[:30])
    (tmp_path / "text.wav").write_text("this is not audio\n" * 20)
    nan = np.zeros((100, 1)); nan[10] = np.nan
    sf.write(tmp_path / "nan.wav", nan, 48000, subtype="FLOAT")
    inf = np.zeros((100, 2)); inf[5, 1] = np.inf
    sf.write(tmp_path / "inf.wav", inf, 48000, subtype="DOUBLE")
    sf.write(tmp_path / "zero_frames.wav", np.zeros((0, 1)), 48000)
    (tmp_path / "folder.wav").mkdir()
    return {
        "missing.wav": "not found",
        "empty.wav": "empty",
        "truncated.wav": "",
        "text.wav": "not a readable audio file",
        "nan.wav": "NaN/Inf",
        "inf.wav": "NaN/Inf",
        "zero_frames.wav": "no audio frames",
        "folder.wav": "folder",
    }


def test_bad_files_are_refused_with_the_file_and_reason(tmp_path):
    for name, reason in _bad_files(tmp_path).items():
        with pytest.raises(AudioFileError) as info:
            load_audio(tmp_path / name)
        msg = str(info.value)
        assert msg.startswith(name + ":"), msg
        assert reason in msg, msg


@settings(max_examples=600, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.sampled_from([0, 1, 4000, 8000, 11025, 44100, 192000, 384000, 2**31 - 1]),
    channels=st.integers(0, 12),
    bits=st.sampled_from([0, 8, 12, 16, 24, 32, 64]),
    fmt_code=st.sampled_from([0, 1, 3, 2, 0xFFFE]),
    declared=st.sampled_from([0, 1, 100, 2**31, 2**32 - 1]),
    body=st.binary(max_size=300),
    cut=st.integers(0, 60),
    ext=st.sampled_from([".wav", ".flac", ".mp3", ".ogg", ".txt", ""]),
)
def test_fuzzed_headers_load_or_refuse_cleanly(tmp_path, rate, channels, bits, fmt_code, declared, body, cut, ext):
    data = wav_header(rate, channels, bits, fmt_code, declared) + body
    if cut:
        data = data[: max(0, len(data) - cut)]
    path = tmp_path / f"fuzz{ext}"
    path.write_bytes(data)
    try:
        audio = load_audio(path)
    except AudioFileError as exc:
        assert str(exc).startswith(path.name + ":") and len(str(exc)) > len(path.name) + 3
    else:
        assert audio.data.dtype == np.float32 and audio.data.ndim == 2 and audio.frames > 0
        assert 1 <= audio.channels <= 8 and 8000 <= audio.samplerate <= 192000
        assert np.isfinite(audio.data).all()


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    rate=st.integers(8000, 192000),
    channels=st.integers(1, 8),
    subtype=st.sampled_from(["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"]),
    frames=st.integers(1, 64),
    special=st.sampled_from([None, np.nan, np.inf, -np.inf]),
)
def test_fuzzed_valid_layouts(tmp_path, rate, channels, subtype, frames, special):
    x = np.full((frames, channels), 0.25)
    if special is not None and subtype in ("FLOAT", "DOUBLE"):
        x[frames // 2, channels - 1] = special
    path = tmp_path / "v.wav"
    sf.write(path, x, rate, subtype=subtype)
    try:
        audio = load_audio(path)
    except AudioFileError as exc:
        assert special is not None and subtype in ("FLOAT", "DOUBLE") and "NaN/Inf" in str(exc)
    else:
        assert audio.data.shape == (frames, channels) and audio.samplerate == rate


def test_save_is_atomic_and_never_overwrites_the_source(tmp_path):
    src = tmp_path / "take.wav"
    x = np.random.default_rng(0).uniform(-0.5, 0.5, (4800, 2)).astype(np.float32)
    save_audio(src, x, 48000)
    with pytest.raises(AudioFileError, match="source"):
        save_audio(src, x * 0, 48000, source=src, overwrite=True)
    with pytest.raises(AudioFileError, match="already exists"):
        save_audio(src, x * 0, 48000)
    np.testing.assert_array_equal(load_audio(src).data, x)
    out = save_audio(tmp_path / "copy.flac", x, 48000, source=src)
    assert np.max(np.abs(load_audio(out).data - x)) < 1e-6
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.flac", "take.wav"]  # no temp files left


def test_read_only_folder_is_refused_and_the_old_file_kept():
    """Saving into a folder the user cannot write to gives a clear message; the old file stays.
    Run as an unprivileged user (root ignores permissions), so CI's root does not hide it."""
    import shutil
    import tempfile

    base = tempfile.mkdtemp(prefix="dg_ro_")
    try:
        os.chmod(base, 0o755)
        ro = os.path.join(base, "ro")
        os.mkdir(ro)
        target = os.path.join(ro, "x.wav")
        save_audio(target, np.full((10, 1), 0.25, np.float32), 48000)
        os.chmod(target, 0o644)
        os.chmod(ro, 0o555)
        code = textwrap.dedent(f"""
            import os, numpy as np
            from desktop_gan.io.audiofile import save_audio, AudioFileError  # before dropping rights
            if os.geteuid() == 0:
                os.setgid(65534); os.setuid(65534)
            try:
                save_audio({target!r}, np.zeros((10, 1), np.float32), 48000, overwrite=True)
            except AudioFileError as exc:
                print("REFUSED", exc)
        """)
        env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, env=env, cwd=base)
        assert "REFUSED x.wav: cannot write in" in out.stdout, out.stdout + out.stderr
        np.testing.assert_array_equal(load_audio(target).data, np.full((10, 1), 0.25, np.float32))
        assert os.listdir(ro) == ["x.wav"]
    finally:
        os.chmod(os.path.join(base, "ro"), 0o755)
        shutil.rmtree(base)


def test_full_disk_leaves_the_old_file_whole(tmp_path):
    """A write that runs out of space (simulated with RLIMIT_FSIZE, which fails writes like a full
    disk and works without root) gives a clear error and leaves the old file untouched."""
    target = tmp_path / "mix.wav"
    old = np.full((1000, 1), 0.5, np.float32)
    save_audio(target, old, 48000)
    code = textwrap.dedent(f"""
        import resource, signal, numpy as np
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (20000, 20000))
        from desktop_gan.io.audiofile import save_audio, AudioFileError
        try:
            save_audio({str(target)!r}, np.zeros((480000, 2), np.float32), 48000, overwrite=True)
        except AudioFileError as exc:
            print("REFUSED", exc)
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert "REFUSED mix.wav: could not be saved" in out.stdout, out.stdout + out.stderr
    np.testing.assert_array_equal(load_audio(target).data, old)
    assert [p.name for p in tmp_path.iterdir()] == ["mix.wav"]


@pytest.fixture
def tiny_fs(tmp_path):
    """A real 64 KiB tmpfs (tests run as root in CI; elsewhere this case is skipped and the
    RLIMIT_FSIZE case above still runs)."""
    mnt = tmp_path / "tiny"
    mnt.mkdir()
    res = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mnt)], capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {res.stderr.strip()}")
    try:
        yield mnt
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_really_full_filesystem_leaves_the_old_file_whole(tiny_fs):
    target = tiny_fs / "mix.wav"
    old = np.full((2000, 1), 0.5, np.float32)
    save_audio(target, old, 48000)
    with pytest.raises(AudioFileError, match=r"^mix\.wav: could not be saved.*No space left"):
        save_audio(target, np.zeros((48000, 2), np.float32), 48000, overwrite=True)
    np.testing.assert_array_equal(load_audio(target).data, old)
    assert [p.name for p in tiny_fs.iterdir()] == ["mix.wav"]  # no temporary file left behind
