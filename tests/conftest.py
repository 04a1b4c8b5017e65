"""Session-wide test set-up: a private PulseAudio server for the tests that use real audio streams.

PortAudio reads its device list once per process, when ``sounddevice`` is first imported, so the
server is started here in ``pytest_configure`` (before any test module is imported) and
``PULSE_SERVER`` is exported for this process and every subprocess a test starts. Tests marked
``audio`` take the ``pulse_server`` fixture; if the server could not be started they fail with the
reason (they never skip). The server is stopped by its PID when the session ends.
"""

from __future__ import annotations

import os
import sys

import pytest

sys.path.insert(0, os.path.dirname(__file__))  # `from pulse import PulseServer` from tests and scripts

from pulse import PulseError, PulseServer  # noqa: E402

_state: dict = {"server": None, "error": None}


def pytest_addoption(parser):
    parser.addoption("--torch-device", choices=("auto", "cpu", "cuda"), default="auto",
                     help="where the model tests must run: auto (CUDA when present, as the app does), "
                          "or cuda to insist on the GPU path (the run stops at once when there is none)")


def pytest_configure(config):
    wanted = config.getoption("--torch-device", "auto")
    if wanted != "auto":
        import torch

        if wanted == "cuda" and not torch.cuda.is_available():
            raise pytest.UsageError("--torch-device cuda: this torch build sees no CUDA device")
        if wanted == "cpu" and torch.cuda.is_available():
            os.environ["CUDA_VISIBLE_DEVICES"] = ""  # hide the GPU from this process and its children
    if "sounddevice" in sys.modules:
        _state["error"] = "sounddevice was imported before the test PulseAudio server was started"
        return
    try:
        server = PulseServer().start()
    except (PulseError, OSError, Exception) as exc:  # reported by every audio test, not here
        _state["error"] = f"could not start the private PulseAudio server: {exc}"
        return
    _state["server"] = server
    os.environ["PULSE_SERVER"] = server.server


def pytest_unconfigure(config):
    server = _state["server"]
    if server is not None:
        server.stop()
        _state["server"] = None


@pytest.fixture(scope="session")
def pulse_server() -> PulseServer:
    """The running private PulseAudio server (sink ``virt``, default source ``virt.monitor``)."""
    if _state["server"] is None:
        pytest.fail(_state["error"] or "the private PulseAudio server is not running", pytrace=False)
    return _state["server"]


@pytest.fixture(scope="session")
def expected_torch_device(request) -> str:
    """'cuda' or 'cpu': where the trainer and the inference worker must put the models in this run."""
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


def pytest_collection_modifyitems(config, items):
    for item in items:
        if item.get_closest_marker("audio") and "pulse_server" not in item.fixturenames:
            item.fixturenames.append("pulse_server")
