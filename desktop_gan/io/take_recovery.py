"""Interrupted recordings: a marker beside each take while it records, found and repaired later.

While a take records, a small JSON marker ``.<take name>.recording`` sits beside it (written when
the recording starts, removed once the file is closed cleanly). A marker that outlives its
process means the app died mid-take (a crash, ``kill -9``, power loss): the next start lists it
with :func:`find_interrupted` and offers to recover it.

The recorder rewrites the WAV header every ~0.25 s, so such a file is already readable; frames
written after the last header update are on disk but not counted. :func:`repair_wav` counts them:
it rewrites the RIFF and ``data`` sizes (and a float WAV's ``fact`` frame count) to cover every
whole frame present. Only those size fields change; no sample is touched, the file is never
shortened or replaced.
"""

from __future__ import annotations

import json
import os
import struct
import time
from dataclasses import dataclass
from pathlib import Path

import soundfile as sf

MARKER_SUFFIX = ".recording"


class RecoveryError(RuntimeError):
    pass


def marker_path(take: Path) -> Path:
    take = Path(take)
    return take.parent / f".{take.name}{MARKER_SUFFIX}"


def write_marker(take: Path, samplerate: int, channels: int, pid: int | None = None) -> Path:
    """Mark ``take`` as being recorded by process ``pid`` (default: this one). An ordinary write:
    a missing marker only loses the offer."""
    path = marker_path(take)
    path.write_text(json.dumps({"take": Path(take).name, "samplerate": int(samplerate), "channels": int(channels),
                                "started": time.time(), "pid": int(pid or os.getpid())}))
    return path


def clear_marker(take: Path) -> None:
    try:
        marker_path(take).unlink()
    except FileNotFoundError:
        pass


@dataclass(frozen=True)
class Interrupted:
    """A take whose recording did not end cleanly."""

    take: Path
    marker: Path
    started: float
    samplerate: int
    frames_in_header: int  # what a plain reader sees now
    frames_on_disk: int  # what the file holds: repair makes the header say this

    @property
    def seconds(self) -> float:
        return self.frames_on_disk / self.samplerate if self.samplerate else 0.0


def find_interrupted(folder: Path) -> list[Interrupted]:
    """Interrupted takes in ``folder``, newest first. Markers whose take is gone, and markers of a
    process that is still running (this app recording now, or another one), are left out."""
    folder = Path(folder)
    found = []
    try:
        markers = sorted(folder.glob(f".*{MARKER_SUFFIX}"))
    except OSError:
        return []
    for marker in markers:
        try:
            meta = json.loads(marker.read_text())
            take = folder / str(meta["take"])
            started = float(meta.get("started", 0.0))
            pid = int(meta.get("pid", 0))
        except (OSError, ValueError, KeyError, TypeError):
            take = folder / marker.name[1:-len(MARKER_SUFFIX)]
            started, pid = marker.stat().st_mtime if marker.exists() else 0.0, 0
        if not take.is_file():
            _unlink(marker)  # nothing left to recover
            continue
        if pid and _alive(pid):
            continue
        try:
            header_frames, disk_frames, sr = _frame_counts(take)
        except RecoveryError:
            header_frames, disk_frames, sr = 0, 0, 0
        found.append(Interrupted(take, marker, started, sr, header_frames, disk_frames))
    return sorted(found, key=lambda i: i.started, reverse=True)


def recover(item: Interrupted) -> Path:
    """Repair the take's header where needed and drop its marker; returns the take's path."""
    if item.take.suffix.lower() == ".wav":
        repair_wav(item.take)
    _unlink(item.marker)
    return item.take


# -- WAV header repair ---------------------------------------------------------------------------
@dataclass
class _Layout:
    block_align: int
    data_size_at: int  # offset of the data chunk's size field
    data_start: int
    data_size: int
    fact_at: int | None  # offset of the fact chunk's frame count


def _wav_layout(path: Path, head: bytes) -> _Layout:
    if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
        raise RecoveryError(f"{path.name} is not a WAV file")
    pos, block_align, fact_at = 12, 0, None
    while pos + 8 <= len(head):
        cid, size = head[pos:pos + 4], struct.unpack_from("<I", head, pos + 4)[0]
        if cid == b"fmt " and pos + 22 <= len(head):
            block_align = struct.unpack_from("<H", head, pos + 20)[0]
        elif cid == b"fact":
            fact_at = pos + 8
        elif cid == b"data":
            if not block_align:
                raise RecoveryError(f"{path.name}: no format chunk before the audio data")
            return _Layout(block_align, pos + 4, pos + 8, size, fact_at)
        pos += 8 + size + (size & 1)
    raise RecoveryError(f"{path.name}: no audio data chunk found")


def _frame_counts(path: Path) -> tuple[int, int, int]:
    """(frames the header declares, whole frames on disk, sample rate) for a take."""
    try:
        info = sf.info(str(path))
    except (sf.LibsndfileError, RuntimeError, OSError) as exc:
        raise RecoveryError(f"{path.name} cannot be read: {exc}") from exc
    if Path(path).suffix.lower() != ".wav":
        return info.frames, info.frames, info.samplerate
    with open(path, "rb") as fh:
        head = fh.read(65536)
    lay = _wav_layout(Path(path), head)
    size = os.path.getsize(path)
    if _chunks_after_data(path, lay, size):
        return info.frames, info.frames, info.samplerate
    disk = (size - lay.data_start) // lay.block_align
    return info.frames, max(info.frames, disk), info.samplerate


def _chunks_after_data(path: Path, lay: _Layout, size: int) -> bool:
    """True when whole chunks follow the declared data up to the end of the file (a finished file
    with, say, a LIST chunk), rather than audio the header has not counted yet."""
    pos = lay.data_start + lay.data_size + (lay.data_size & 1)
    if pos >= size:
        return False
    with open(path, "rb") as fh:
        while pos + 8 <= size:
            fh.seek(pos)
            hdr = fh.read(8)
            if not all(32 <= b < 127 for b in hdr[:4]):
                return False
            pos += 8 + struct.unpack("<I", hdr[4:])[0]
            pos += pos & 1
    return pos == size


def repair_wav(path: Path) -> int:
    """Make the header count every whole frame on disk; returns the frame count.

    Only grows the counts of a file whose data runs to its end (an interrupted take); a header
    that already covers the data, or data followed by further chunks, is left as it is.
    """
    path = Path(path)
    with open(path, "r+b") as fh:
        head = fh.read(65536)
        lay = _wav_layout(path, head)
        size = os.fstat(fh.fileno()).st_size
        if _chunks_after_data(path, lay, size):
            return lay.data_size // lay.block_align
        frames = (size - lay.data_start) // lay.block_align
        data_bytes = frames * lay.block_align
        if data_bytes <= lay.data_size:
            return lay.data_size // lay.block_align
        if data_bytes > 0xFFFFFFFF - lay.data_start:
            raise RecoveryError(f"{path.name} is larger than a WAV header can describe")
        fh.seek(lay.data_size_at)
        fh.write(struct.pack("<I", data_bytes))
        fh.seek(4)
        fh.write(struct.pack("<I", lay.data_start - 8 + data_bytes))
        if lay.fact_at is not None:
            fh.seek(lay.fact_at)
            fh.write(struct.pack("<I", frames))
        fh.flush()
        os.fsync(fh.fileno())
    return frames


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _unlink(path: Path) -> None:
    try:
        path.unlink()
    except OSError:
        pass
