"""Sample-accurate playback of one loaded buffer, with a seamless loop region.

The buffer is resampled once to the device rate at ``load``; every position in the public API is in
SOURCE frames. The output callback calls :meth:`Player.render`, which ADDS the clip into the output
block (so it mixes with the monitor signal). When a block crosses the loop end it continues from the
loop start inside the same block, so the loop is seamless to the sample.

Thread rules: the UI thread only replaces whole values (``_clip``, ``_loop``, ``_seek``, ``_playing``);
the callback only reads them and owns ``_pos``. A seek is a ``(serial, frame)`` pair so that a seek made
while a block is being rendered is never lost.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from desktop_gan.dsp.resample import resample, source_to_target


@dataclass(frozen=True)
class _Clip:
    data: np.ndarray  # (frames, channels) float32 at the device rate
    source: np.ndarray  # the buffer as loaded, for a later change of device rate
    source_rate: int
    source_length: int


class Player:
    def __init__(self, device_rate: int) -> None:
        self.device_rate = int(device_rate)
        self._clip: _Clip | None = None
        self._playing = False
        self._loop: tuple[int, int] | None = None  # device frames [start, end)
        self._loop_src: tuple[int, int] | None = None
        self._seek: tuple[int, int] = (0, 0)  # (serial, device frame)
        self._seek_done = 0
        self._pos = 0  # device frames; owned by the callback

    # -- UI side ---------------------------------------------------------------------------------
    def load(self, data: np.ndarray, samplerate: int) -> None:
        """Load ``data`` ((frames,) or (frames, channels)) recorded at ``samplerate``; stops playback.

        The player keeps a reference to a float32 buffer: do not modify ``data`` afterwards."""
        x = np.asarray(data, dtype=np.float32)
        if x.ndim == 1:
            x = x[:, None]
        if x.ndim != 2 or x.shape[1] < 1 or len(x) == 0:
            raise ValueError(f"expected a non-empty (frames, channels) buffer, got shape {np.shape(data)}")
        if not np.all(np.isfinite(x)):
            raise ValueError("the buffer holds NaN or infinite samples")
        dev = resample(x, int(samplerate), self.device_rate)
        self._playing = False
        self._loop = self._loop_src = None
        self._clip = _Clip(np.ascontiguousarray(dev), x, int(samplerate), len(x))
        self._request_seek(0)

    def set_device_rate(self, rate: int) -> None:
        """Follow a new device rate (call while no stream runs): the clip, loop and playhead keep
        their source positions."""
        rate = int(rate)
        if rate == self.device_rate:
            return
        clip, pos, loop = self._clip, self.position, self._loop_src
        self.device_rate = rate
        if clip is None:
            return
        data = resample(clip.source, clip.source_rate, rate)
        self._clip = _Clip(np.ascontiguousarray(data), clip.source, clip.source_rate, clip.source_length)
        self._loop = self._loop_src = None
        if loop is not None:
            self.set_loop(*loop)
        self.seek(pos)

    def unload(self) -> None:
        self._playing = False
        self._clip = None

    @property
    def length(self) -> int:
        clip = self._clip
        return 0 if clip is None else clip.source_length

    @property
    def playing(self) -> bool:
        return self._playing

    @property
    def position(self) -> int:
        """Playhead in source frames (a pending seek counts as done)."""
        clip = self._clip
        if clip is None:
            return 0
        serial, frame = self._seek
        dev = frame if serial != self._seek_done else self._pos
        return min(source_to_target(dev, self.device_rate, clip.source_rate), clip.source_length)

    def play(self) -> None:
        if self._clip is None:
            return
        if self.position >= self.length:
            self._request_seek(self._loop[0] if self._loop else 0)
        self._playing = True

    def pause(self) -> None:
        self._playing = False

    def stop(self) -> None:
        self._playing = False
        self._request_seek(self._loop[0] if self._loop else 0)

    def seek(self, frame: int) -> None:
        clip = self._clip
        if clip is None:
            return
        frame = min(max(int(frame), 0), clip.source_length)
        self._request_seek(source_to_target(frame, clip.source_rate, self.device_rate))

    def set_loop(self, start_frame: int, end_frame: int) -> None:
        clip = self._clip
        if clip is None:
            raise ValueError("load a buffer before setting a loop")
        start, end = int(start_frame), int(end_frame)
        if not 0 <= start < end <= clip.source_length:
            raise ValueError(f"loop {start}-{end} is not inside the buffer (0-{clip.source_length})")
        dev_end = min(source_to_target(end, clip.source_rate, self.device_rate), len(clip.data))
        dev_start = min(source_to_target(start, clip.source_rate, self.device_rate), dev_end - 1)
        self._loop_src = (start, end)
        self._loop = (dev_start, dev_end)

    def clear_loop(self) -> None:
        self._loop = self._loop_src = None

    @property
    def loop_enabled(self) -> bool:
        return self._loop is not None

    @property
    def loop_region(self) -> tuple[int, int] | None:
        return self._loop_src

    def _request_seek(self, dev_frame: int) -> None:
        self._seek = (self._seek[0] + 1, int(dev_frame))

    # -- callback side ---------------------------------------------------------------------------
    def render(self, out: np.ndarray) -> None:
        """Add the next ``len(out)`` frames of the clip into ``out`` (frames, channels)."""
        clip = self._clip
        if clip is None:
            return
        serial, frame = self._seek
        if serial != self._seek_done:
            self._seek_done = serial
            self._pos = frame
        if not self._playing:
            return
        data, loop, pos = clip.data, self._loop, self._pos
        n_total, frames = len(data), len(out)
        src_ch, out_ch = data.shape[1], out.shape[1]
        ch = min(src_ch, out_ch)
        i = 0
        while i < frames:
            if loop is not None and pos == loop[1]:
                pos = loop[0]  # wrap inside this block: the loop is seamless to the sample
            seg_end = loop[1] if loop is not None and pos < loop[1] else n_total
            n = min(frames - i, seg_end - pos)
            if n <= 0:
                self._playing = False  # end of the clip (past any loop)
                break
            if src_ch == 1:
                out[i:i + n] += data[pos:pos + n]
            else:
                out[i:i + n, :ch] += data[pos:pos + n, :ch]
            pos += n
            i += n
        self._pos = pos
