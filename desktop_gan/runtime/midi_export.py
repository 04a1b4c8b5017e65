"""Standard MIDI file writer (format 0), no dependencies.

Two levels:

* ``midi_bytes(events, ppq, bpm)`` / ``write_midi(path, ...)``: any channel messages at tick
  positions (the data renderer uses it to play soundfont kits).
* ``pattern_to_midi(pattern, params, path)``: a loop's pattern as General MIDI drums on channel 10
  (status nibble 9), one note per hit, swing and micro-timing applied, note length a 32nd.

Times are ticks at ``ppq`` ticks per quarter; one tempo meta event sets the BPM and a 4/4 time
signature is written so DAWs place the clip on the grid.
"""

from __future__ import annotations

import os
import struct
import tempfile
from pathlib import Path
from typing import Iterable, Sequence

from desktop_gan.core.params import DRUM_KINDS, LoopParams

# General MIDI percussion notes (channel 10) for each drum kind.
GM_NOTES = {
    "kick": 36,
    "snare": 38,
    "clap": 39,
    "closed-hat": 42,
    "open-hat": 46,
    "tom": 45,
    "rim": 37,
    "cymbal": 49,
}
DRUM_CHANNEL = 9  # zero-based: MIDI channel 10
PPQ = 480


def _vlq(value: int) -> bytes:
    """MIDI variable-length quantity."""
    if value < 0:
        raise ValueError("delta time must be >= 0")
    out = [value & 0x7F]
    value >>= 7
    while value:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    return bytes(reversed(out))


def midi_bytes(events: Iterable[tuple[int, bytes]], ppq: int = PPQ, bpm: float = 120.0,
               end_tick: int | None = None) -> bytes:
    """A format-0 SMF from ``(tick, message_bytes)`` pairs (sorted stably by tick here)."""
    evs = sorted(((int(t), bytes(m)) for t, m in events), key=lambda e: e[0])
    usec = int(round(60_000_000 / float(bpm)))
    track = bytearray()
    track += b"\x00\xff\x51\x03" + usec.to_bytes(3, "big")
    track += b"\x00\xff\x58\x04\x04\x02\x18\x08"  # 4/4, 24 clocks per click, 8 32nds per quarter
    now = 0
    for tick, msg in evs:
        track += _vlq(tick - now) + msg
        now = tick
    last = max(now, end_tick if end_tick is not None else now)
    track += _vlq(last - now) + b"\xff\x2f\x00"
    header = b"MThd" + struct.pack(">IHHH", 6, 0, 1, ppq)
    return header + b"MTrk" + struct.pack(">I", len(track)) + bytes(track)


def write_midi(path: str | os.PathLike, events: Iterable[tuple[int, bytes]], ppq: int = PPQ,
               bpm: float = 120.0, end_tick: int | None = None) -> Path:
    """Write an SMF atomically (temp file + replace)."""
    path = Path(path)
    payload = midi_bytes(events, ppq, bpm, end_tick)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".part", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(payload)
        os.replace(tmp, path)
    except BaseException:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        raise
    return path


def note_on(channel: int, note: int, velocity: int) -> bytes:
    return bytes((0x90 | channel, note & 0x7F, max(1, min(127, int(velocity)))))


def note_off(channel: int, note: int) -> bytes:
    return bytes((0x80 | channel, note & 0x7F, 0))


def pattern_events(velocity, offset, swing: float, parts: Sequence[str] = DRUM_KINDS,
                   ppq: int = PPQ, muted: Sequence[bool] | None = None) -> list[tuple[int, bytes]]:
    """Note events for a pattern grid.

    ``velocity`` and ``offset`` are (parts, steps) arrays: velocity 0-1 (0 = no hit), offset in
    fractions of a 16th (-0.5..0.5). Swing delays odd 16ths by ``swing`` of a 16th, as in the
    audio renderer.
    """
    sixteenth = ppq / 4.0
    events: list[tuple[int, bytes]] = []
    n_steps = len(velocity[0]) if len(velocity) else 0
    for p, part in enumerate(parts):
        if muted is not None and muted[p]:
            continue
        note = GM_NOTES[part]
        for s in range(n_steps):
            v = float(velocity[p][s])
            if v <= 0.0:
                continue
            pos = s + (swing if s % 2 == 1 else 0.0) + float(offset[p][s])
            tick = max(0, int(round(pos * sixteenth)))
            events.append((tick, note_on(DRUM_CHANNEL, note, round(v * 127))))
            events.append((tick + ppq // 8, note_off(DRUM_CHANNEL, note)))
    return events


def pattern_to_midi(velocity, offset, params: LoopParams, path: str | os.PathLike,
                    parts: Sequence[str] = DRUM_KINDS, muted: Sequence[bool] | None = None) -> Path:
    """Write a loop's pattern as GM drums (channel 10) at the loop's tempo; length = the loop."""
    events = pattern_events(velocity, offset, params.swing, parts, PPQ, muted)
    return write_midi(path, events, PPQ, params.bpm, end_tick=params.bars * 4 * PPQ)
