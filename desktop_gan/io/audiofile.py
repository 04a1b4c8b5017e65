"""Audio files through libsndfile (soundfile): validated loading and atomic saving.

Every loaded file becomes one layout: float32, shape (frames, channels), values as decoded.
Anything wrong with a file raises ``AudioFileError`` whose message names the file and the reason;
nothing here ever prints, exits or touches the UI.
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import soundfile as sf

READ_EXTENSIONS = (".wav", ".flac", ".ogg", ".oga", ".opus", ".mp3", ".aiff", ".aif")
WRITE_FORMATS = {".wav": ("WAV", "FLOAT"), ".flac": ("FLAC", "PCM_24")}
MIN_RATE, MAX_RATE = 8000, 192000
MAX_CHANNELS = 8
MAX_FRAMES = 192000 * 60 * 60 * 3  # three hours at 192 kHz: anything claiming more is refused


class AudioFileError(Exception):
    """A file could not be read or written; the message is meant for the user."""


@dataclass
class Audio:
    data: np.ndarray  # float32 (frames, channels)
    samplerate: int
    path: Path | None = None
    subtype: str = ""
    name: str = ""  # what to call it where it has no file yet (e.g. an enhanced take)

    @property
    def frames(self) -> int:
        return int(self.data.shape[0])

    @property
    def channels(self) -> int:
        return int(self.data.shape[1])

    @property
    def duration(self) -> float:
        return self.frames / float(self.samplerate)


def _fail(path: Path, reason: str) -> AudioFileError:
    return AudioFileError(f"{path.name}: {reason}")


def probe(path: str | os.PathLike) -> sf._SoundFileInfo:
    path = Path(path)
    try:
        return sf.info(str(path))
    except Exception as exc:  # libsndfile's messages vary; wrap them all
        raise _fail(path, f"not a readable audio file ({_short(exc)})") from None


def _short(exc: Exception) -> str:
    text = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
    text = re.sub(r"^Error opening\s+(?:'.*?'|\S+)?:?\s*", "", text)  # libsndfile repeats the path
    return text.strip(" :'") or type(exc).__name__


def load_audio(path: str | os.PathLike) -> Audio:
    """Load any supported file into float32 (frames, channels), refusing what is broken."""
    path = Path(path)
    if not path.exists():
        raise _fail(path, "file not found")
    if path.is_dir():
        raise _fail(path, "is a folder, not an audio file")
    if path.stat().st_size == 0:
        raise _fail(path, "file is empty")
    try:
        with sf.SoundFile(str(path)) as f:
            rate, channels, frames = int(f.samplerate), int(f.channels), int(f.frames)
            subtype = f.subtype or ""
            if not MIN_RATE <= rate <= MAX_RATE:
                raise _fail(path, f"sample rate {rate} Hz is outside {MIN_RATE}-{MAX_RATE} Hz")
            if not 1 <= channels <= MAX_CHANNELS:
                raise _fail(path, f"{channels} channels (1-{MAX_CHANNELS} supported)")
            if frames <= 0 and f.seekable():
                raise _fail(path, "holds no audio frames")
            if frames > MAX_FRAMES:
                raise _fail(path, f"declares {frames} frames, more than this app loads")
            data = f.read(dtype="float32", always_2d=True)
    except AudioFileError:
        raise
    except MemoryError:
        raise _fail(path, "too large to load into memory") from None
    except Exception as exc:
        raise _fail(path, f"not a readable audio file ({_short(exc)})") from None
    if data.shape[0] == 0:
        raise _fail(path, "holds no audio frames (truncated?)")
    if not np.isfinite(data).all():
        bad = int(np.count_nonzero(~np.isfinite(data)))
        raise _fail(path, f"contains {bad} NaN/Inf samples")
    return Audio(np.ascontiguousarray(data, dtype=np.float32), rate, path, subtype)


def save_audio(
    path: str | os.PathLike,
    data: np.ndarray,
    samplerate: int,
    *,
    source: str | os.PathLike | None = None,
    overwrite: bool = False,
    subtype: str | None = None,
) -> Path:
    """Write WAV or FLAC atomically: a temporary file in the same folder, then a rename.

    Refuses to write over ``source`` (the file the audio came from) and, unless ``overwrite``,
    over any existing file. The old file stays whole when anything fails (full disk, read-only dir).
    """
    path = Path(path)
    ext = path.suffix.lower()
    if ext not in WRITE_FORMATS:
        raise _fail(path, f"can only save {', '.join(WRITE_FORMATS)} files")
    if source is not None and _same_file(path, Path(source)):
        raise _fail(path, "refusing to overwrite the source file; choose a new name")
    if path.exists() and not overwrite:
        raise _fail(path, "already exists")
    arr = np.asarray(data, dtype=np.float32)
    if arr.ndim == 1:
        arr = arr[:, None]
    if arr.ndim != 2 or arr.shape[0] == 0:
        raise _fail(path, "nothing to save")
    if not np.isfinite(arr).all():
        raise _fail(path, "audio holds NaN/Inf samples; not saved")
    fmt, default_subtype = WRITE_FORMATS[ext]
    folder = path.parent if str(path.parent) else Path(".")
    if not folder.is_dir():
        raise _fail(path, f"folder {folder} does not exist")
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{path.stem}.", suffix=ext + ".part", dir=folder)
    except OSError as exc:
        raise _fail(path, f"cannot write in {folder} ({exc.strerror or exc})") from None
    os.close(fd)
    try:
        sf.write(tmp, arr, int(samplerate), format=fmt, subtype=subtype or default_subtype)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except Exception as exc:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else _short(exc)
        reason = _disk_full(folder, arr, subtype or default_subtype) or reason  # libsndfile says "System error."
        raise _fail(path, f"could not be saved ({reason}); nothing was changed") from None
    return path


def _disk_full(folder: Path, arr: np.ndarray, subtype: str) -> str | None:
    """'No space left on device …' when the folder's filesystem cannot hold the file, else None."""
    width = {"PCM_16": 2, "PCM_24": 3, "PCM_32": 4, "FLOAT": 4, "DOUBLE": 8}.get(subtype, 4)
    need = arr.shape[0] * arr.shape[1] * width
    try:
        free = shutil.disk_usage(folder).free
    except OSError:
        return None
    if free >= need:
        return None
    return f"No space left on device: {free / 1e6:.2f} MB free, about {need / 1e6:.2f} MB needed"


def _same_file(a: Path, b: Path) -> bool:
    try:
        if a.exists() and b.exists():
            return os.path.samefile(a, b)
    except OSError:
        pass
    return a.resolve() == b.resolve()
