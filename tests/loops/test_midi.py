"""The MIDI export parses as a standard MIDI file with GM drum notes on channel 10 at the right ticks."""

import struct

import numpy as np

from desktop_gan.core.params import DRUM_KINDS, LoopParams
from desktop_gan.runtime.midi_export import GM_NOTES, PPQ, pattern_to_midi


def read_smf(data: bytes):
    """A tiny SMF reader: (format, ntracks, ppq, tempo_us, [(abs_tick, status, d1, d2)], end_tick)."""
    assert data[:4] == b"MThd"
    hlen, fmt, ntrk, ppq = struct.unpack(">IHHH", data[4:14])
    pos = 8 + hlen
    assert data[pos:pos + 4] == b"MTrk"
    tlen = struct.unpack(">I", data[pos + 4:pos + 8])[0]
    trk, i, tick, status = data[pos + 8:pos + 8 + tlen], 0, 0, None
    events, tempo, end = [], None, None
    while i < len(trk):
        delta = 0
        while True:
            b = trk[i]; i += 1
            delta = (delta << 7) | (b & 0x7F)
            if not b & 0x80:
                break
        tick += delta
        if trk[i] == 0xFF:
            mtype, mlen = trk[i + 1], trk[i + 2]
            body = trk[i + 3:i + 3 + mlen]
            if mtype == 0x51:
                tempo = int.from_bytes(body, "big")
            if mtype == 0x2F:
                end = tick
            i += 3 + mlen
            continue
        if trk[i] & 0x80:
            status = trk[i]; i += 1
        events.append((tick, status, trk[i], trk[i + 1]))
        i += 2
    assert pos + 8 + tlen == len(data)
    return fmt, ntrk, ppq, tempo, events, end


def test_pattern_midi_notes_channel_timing(tmp_path):
    p = LoopParams(bpm=95, bars=2, swing=0.25)
    vel = np.zeros((len(DRUM_KINDS), 32))
    off = np.zeros_like(vel)
    vel[0, [0, 10, 16]] = [1.0, 0.5, 0.8]  # kick
    vel[1, [4, 12]] = 1.0  # snare
    vel[3, 1] = 0.75  # closed hat on an odd (swung) 16th
    off[1, 12] = 0.1
    path = pattern_to_midi(vel, off, p, tmp_path / "loop.mid")
    fmt, ntrk, ppq, tempo, events, end = read_smf(path.read_bytes())
    assert (fmt, ntrk, ppq) == (0, 1, PPQ)
    assert tempo == round(60_000_000 / 95)
    assert end == 2 * 4 * PPQ  # the clip is exactly the loop
    ons = sorted((t, d1, d2) for t, st, d1, d2 in events if st & 0xF0 == 0x90 and d2 > 0)
    assert all(st & 0x0F == 9 for _, st, _, _ in events)  # channel 10
    s16 = PPQ / 4
    expected = sorted([(0, GM_NOTES["kick"], 127), (round(10 * s16), 36, 64), (round(16 * s16), 36, 102),
                       (round(4 * s16), GM_NOTES["snare"], 127), (round(12.1 * s16), 38, 127),
                       (round(1.25 * s16), GM_NOTES["closed-hat"], 95)])
    assert ons == expected
    offs = [e for e in events if e[1] & 0xF0 == 0x80]
    assert len(offs) == len(ons)


def test_muted_parts_are_left_out(tmp_path):
    vel = np.zeros((len(DRUM_KINDS), 16))
    vel[:, 0] = 1.0
    muted = [k != "snare" for k in DRUM_KINDS]
    path = pattern_to_midi(vel, np.zeros_like(vel), LoopParams(bars=1), tmp_path / "m.mid", muted=muted)
    notes = {d1 for _, st, d1, _ in read_smf(path.read_bytes())[4] if st & 0xF0 == 0x90}
    assert notes == {GM_NOTES["snare"]}
