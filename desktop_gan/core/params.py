"""Parameters as frozen dataclasses.

The UI never mutates a parameter object that another thread reads: it builds a new one with
``dataclasses.replace`` and hands it over, so a reader always sees a consistent set.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPPORTED_RATES = (16000, 22050, 44100, 48000, 88200, 96000)


@dataclass(frozen=True)
class AudioConfig:
    """How the audio engine opens its streams."""

    samplerate: int = 48000
    channels_in: int = 1
    channels_out: int = 2
    input_device: int | str | None = None  # None = system default
    output_device: int | str | None = None
    latency: str | float = "high"  # PortAudio's 'low'/'high' or seconds

    def __post_init__(self) -> None:
        if not 8000 <= int(self.samplerate) <= 192000:
            raise ValueError(f"sample rate {self.samplerate} Hz is outside 8-192 kHz")
        if not 1 <= self.channels_in <= 8 or not 1 <= self.channels_out <= 8:
            raise ValueError("channel counts must be between 1 and 8")


@dataclass(frozen=True)
class EnhanceParams:
    """Live parameters of the enhancer; swapped whole, never edited in place."""

    strength_db: float = 50.0  # attenuation limit: how far the model may pull a band down (RESULTS: why 50)
    mix: float = 1.0  # 0 = dry only (latency-aligned), 1 = fully enhanced
    bypass: bool = False
    listen: str = "enhanced"  # 'enhanced' | 'residue' (what was removed) | 'dry'

    def __post_init__(self) -> None:
        if not 0.0 <= self.strength_db <= 100.0:
            raise ValueError("strength must be 0-100 dB")
        if not 0.0 <= self.mix <= 1.0:
            raise ValueError("mix must be between 0 and 1")
        if self.listen not in ("enhanced", "residue", "dry"):
            raise ValueError(f"unknown listen mode {self.listen!r}")


DRUM_KINDS = ("kick", "snare", "clap", "closed-hat", "open-hat", "tom", "rim", "cymbal")
PATTERN_STYLES = ("house", "rock", "boom-bap", "breakbeat", "trap", "latin")


@dataclass(frozen=True)
class LoopParams:
    """What a generated loop is rendered at."""

    bpm: float = 120.0
    bars: int = 4
    swing: float = 0.0  # fraction of a 16th by which off-beat 16ths are delayed
    samplerate: int = 48000
    style: str = "house"
    seed: int = 0

    def __post_init__(self) -> None:
        if not 60.0 <= self.bpm <= 200.0:
            raise ValueError(f"BPM must be between 60 and 200, got {self.bpm}")
        if self.bars not in (1, 2, 4, 8):
            raise ValueError(f"bars must be 1, 2, 4 or 8, got {self.bars}")
        if not 0.0 <= self.swing <= 0.75:
            raise ValueError(f"swing must be between 0 and 0.75, got {self.swing}")
        if self.samplerate not in (44100, 48000):
            raise ValueError(f"loops render at 44100 or 48000 Hz, got {self.samplerate}")
        if self.style not in PATTERN_STYLES:
            raise ValueError(f"unknown style {self.style!r}; choose from {', '.join(PATTERN_STYLES)}")

    @property
    def length_samples(self) -> int:
        """Exactly bars * 4 beats * 60/BPM seconds, rounded to the nearest sample."""
        return int(round(self.bars * 4 * 60.0 / self.bpm * self.samplerate))
