"""Audio devices as plain records, and the one exception the audio layer raises to its callers.

``sounddevice`` is imported inside the functions: importing it starts PortAudio, which reads the
device list once per process, so nothing here runs at import time.
"""

from __future__ import annotations

from dataclasses import dataclass


class AudioDeviceError(RuntimeError):
    """No usable audio server or device; the message is meant for the user."""


@dataclass(frozen=True)
class DeviceInfo:
    index: int
    name: str
    hostapi: str
    max_input_channels: int
    max_output_channels: int
    default_samplerate: float
    is_default_input: bool
    is_default_output: bool


def _sounddevice():
    """Import sounddevice, turning a missing PortAudio library into AudioDeviceError."""
    try:
        import sounddevice as sd
    except OSError as exc:  # libportaudio2 missing
        raise AudioDeviceError(f"no audio server/device: PortAudio is not available ({exc})") from exc
    return sd


def list_devices() -> list[DeviceInfo]:
    """Every device PortAudio sees. Raises AudioDeviceError when there are none."""
    sd = _sounddevice()
    try:
        devices = sd.query_devices()
        hostapis = sd.query_hostapis()
        default_in, default_out = sd.default.device
    except Exception as exc:  # PortAudioError and friends
        raise AudioDeviceError(f"no audio server/device: {exc}") from exc
    out = [
        DeviceInfo(
            index=int(d["index"]),
            name=str(d["name"]),
            hostapi=str(hostapis[d["hostapi"]]["name"]),
            max_input_channels=int(d["max_input_channels"]),
            max_output_channels=int(d["max_output_channels"]),
            default_samplerate=float(d["default_samplerate"]),
            is_default_input=int(d["index"]) == default_in,
            is_default_output=int(d["index"]) == default_out,
        )
        for d in devices
    ]
    if not out:
        raise AudioDeviceError("no audio server/device: PortAudio found no audio devices")
    return out


def rescan_devices() -> None:
    """Re-initialise PortAudio so that it reads the device list again.

    PortAudio scans devices once; after the audio server restarts or a device is plugged in, the
    old list is stale. Only call this with every stream closed.
    """
    sd = _sounddevice()
    try:
        sd._terminate()
        sd._initialize()
    except Exception as exc:
        raise AudioDeviceError(f"no audio server/device: cannot re-initialise PortAudio: {exc}") from exc


def describe_stream_error(exc: BaseException, what: str, device) -> AudioDeviceError:
    """A user-facing AudioDeviceError for a stream that could not be opened."""
    dev = "the default device" if device is None else f"device {device!r}"
    return AudioDeviceError(f"no audio server/device: cannot open {what} on {dev}: {exc}")
