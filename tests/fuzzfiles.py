"""Generated broken and odd audio files for the fuzz tests (loading, the views, ``desktop-gan enhance``).

``odd_files()`` is a hypothesis strategy of ``(name, bytes)``: hand-made WAV headers with wrong or
absurd fields (0 or 2**31 Hz, 0 to 12 channels, odd bit depths, unknown format codes, declared sizes
far beyond the data, truncated anywhere), real files in every sample format from 8 to 192 kHz and 1 to
8 channels with NaN/Inf samples or zero frames, real FLAC/OGG bytes under the wrong extension, and
plain garbage.
"""

from __future__ import annotations

import io

import numpy as np
import soundfile as sf
from hypothesis import strategies as st

SUBTYPES = ["PCM_U8", "PCM_16", "PCM_24", "PCM_32", "FLOAT", "DOUBLE"]
EXTS = [".wav", ".flac", ".mp3", ".ogg", ".txt", ".WAV", ""]


def wav_header(rate, channels, bits, fmt_code, data_bytes, riff_bytes=None) -> bytes:
    block = channels * bits // 8
    fmt = (fmt_code.to_bytes(2, "little") + channels.to_bytes(2, "little") + rate.to_bytes(4, "little")
           + ((rate * block) & 0xFFFFFFFF).to_bytes(4, "little") + block.to_bytes(2, "little") + bits.to_bytes(2, "little"))
    riff = riff_bytes if riff_bytes is not None else 36 + data_bytes
    return (b"RIFF" + (riff & 0xFFFFFFFF).to_bytes(4, "little") + b"WAVEfmt " + (16).to_bytes(4, "little") + fmt
            + b"data" + (data_bytes & 0xFFFFFFFF).to_bytes(4, "little"))


@st.composite
def broken_headers(draw):
    data = wav_header(draw(st.sampled_from([0, 1, 4000, 8000, 11025, 44100, 192000, 384000, 2**31 - 1])),
                      draw(st.integers(0, 12)), draw(st.sampled_from([0, 8, 12, 16, 24, 32, 64])),
                      draw(st.sampled_from([0, 1, 3, 2, 0xFFFE])),
                      draw(st.sampled_from([0, 1, 100, 2**31, 2**32 - 1])))
    data += draw(st.binary(max_size=300))
    cut = draw(st.integers(0, 60))
    return draw(st.sampled_from(EXTS)), data[: max(0, len(data) - cut)] if cut else data


@st.composite
def real_files(draw):
    rate = draw(st.sampled_from([8000, 11025, 16000, 22050, 44100, 48000, 88200, 96000, 192000]))
    channels = draw(st.integers(1, 8))
    frames = draw(st.sampled_from([0, 1, 7, 480, 4801]))
    kind = draw(st.sampled_from(["WAV"] * 4 + ["FLAC", "OGG"]))
    subtype = draw(st.sampled_from(SUBTYPES)) if kind == "WAV" else ("PCM_16" if kind == "FLAC" else "VORBIS")
    rng = np.random.default_rng(draw(st.integers(0, 2**16)))
    x = rng.uniform(-0.8, 0.8, (frames, channels))
    special = draw(st.sampled_from([None, None, np.nan, np.inf, -np.inf]))
    if special is not None and frames and subtype in ("FLOAT", "DOUBLE"):
        x[frames // 2, channels - 1] = special
    buf = io.BytesIO()
    if kind == "FLAC" and rate > 655350:
        kind = "WAV"
    try:
        sf.write(buf, x, rate, subtype=subtype, format=kind)
    except (sf.LibsndfileError, RuntimeError, ValueError):  # e.g. OGG of 0 frames: write a WAV instead
        buf = io.BytesIO()
        sf.write(buf, x, rate, subtype="PCM_16", format="WAV")
    data = buf.getvalue()
    cut = draw(st.sampled_from([0, 0, 0, 1, 13, 100]))
    ext = draw(st.sampled_from([".wav", ".flac", ".ogg", ".mp3", ".wav"]))  # sometimes the wrong one
    return ext, data[: len(data) - cut] if cut else data


def odd_files():
    return st.one_of(broken_headers(), real_files(), real_files(),
                     st.tuples(st.sampled_from(EXTS), st.binary(max_size=200)))
