"""Panels shown as tabs under the views (Enhance, Loops, Training, ... as they are written).

``PANELS`` is a list of ``(title, factory)``; ``factory(host)`` returns a QWidget. Factories run
lazily, when their tab is first shown after the window has painted, so a panel may import torch
or load models without slowing start-up; prefer ``lazy("desktop_gan.ui.panels.enhance", "EnhancePanel")``
so even the panel's module is imported only then.

Built panels may define ``on_app_close() -> bool`` (False cancels closing the window) and
``shutdown()`` (called when the window closes). What a panel may use on ``host`` (the main window): ``host.engine_link`` (``.engine`` is None when
audio is down), ``host.settings``, ``host.document`` (``.audio`` = the shown Audio or None),
``host.open_file(path)``, ``host.show_audio(audio)``, ``host.show_error(title, text)`` and
``host.status(message)``.
"""

from __future__ import annotations

import importlib
from typing import Callable


def lazy(module: str, attr: str) -> Callable:
    """A factory that imports ``module`` only when the panel is built."""

    def factory(host):
        return getattr(importlib.import_module(module), attr)(host)

    factory.__qualname__ = f"lazy({module}.{attr})"
    return factory


def loops_panel(host):
    """Loops: each rendered loop is shown in the views, ready to loop-play (L)."""
    import numpy as np

    from desktop_gan.io.audiofile import Audio
    from desktop_gan.ui.panels.loops import LoopsPanel

    panel = LoopsPanel(jobs=host.jobs, parent=host)

    def show(audio, samplerate) -> None:
        data = np.asarray(audio, np.float32)
        host.show_audio(Audio(data.reshape(len(data), -1), int(samplerate)))

    panel.loop_ready.connect(show)
    panel.warning.connect(host.status)
    return panel


def training_panel(host):
    """Training: previews open in the views; an installed model is announced in the status bar."""
    from desktop_gan.ui.panels.training import TrainingPanel

    panel = TrainingPanel(parent=host)
    panel.preview_requested.connect(host.open_file)
    panel.model_ready.connect(lambda path: host.status(f"Model ready: {path}", 8000))
    return panel


PANELS: list[tuple[str, Callable]] = [
    ("Enhance", lazy("desktop_gan.ui.panels.enhance", "panel_for_host")),
    ("Loops", loops_panel),
    ("Training", training_panel),
]
