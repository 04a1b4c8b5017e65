"""Fuzz through the window: broken and odd files opened in the views load or are refused clearly,
and the event loop keeps turning while they are read (never a crash, a hang or a frozen UI)."""

import time

import numpy as np
from hypothesis import HealthCheck, given, settings
from PySide6.QtCore import QElapsedTimer, QTimer

from fuzzfiles import odd_files

N_EXAMPLES = 300


@settings(max_examples=N_EXAMPLES, deadline=None, database=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(case=odd_files())
def test_odd_files_in_the_views(qtbot, make_window, tmp_path, case):
    state = test_odd_files_in_the_views.__dict__.setdefault("state", {})
    if state.get("tmp") != tmp_path:  # one window per test run, reused by every example
        errors: list[tuple[str, str]] = []
        state.update(tmp=tmp_path, errors=errors, n=0,
                     window=make_window(show_error=lambda title, text: errors.append((title, text))))
    w, errors = state["window"], state["errors"]
    state["n"] += 1
    ext, data = case
    path = tmp_path / f"odd{state['n']}{ext}"
    path.write_bytes(data)
    errors.clear()
    shown: list[str] = []
    w.fileShown.connect(shown.append)

    gaps, clock = [0], QElapsedTimer()
    clock.start()

    def beat():
        gaps.append(clock.restart())

    heart = QTimer()
    heart.setInterval(5)
    heart.timeout.connect(beat)
    heart.start()
    try:
        w.open_file(path)
        end = time.monotonic() + 20
        while not (shown or errors) and time.monotonic() < end:
            qtbot.wait(5)
    finally:
        heart.stop()
        w.fileShown.disconnect(shown.append)
    assert shown or errors, f"{path.name}: neither shown nor refused within 20 s (hang)"
    assert max(gaps) < 2000, f"{path.name}: the event loop stalled {max(gaps)} ms"
    if errors:
        title, text = errors[0]
        assert title == "Could not open file" and path.name in text and len(text) > len(path.name) + 5, text
        assert w.isVisible()
    else:
        audio = w.document.audio
        assert shown == [str(path)] and audio.frames > 0 and np.isfinite(audio.data).all()
        assert 8000 <= audio.samplerate <= 192000 and 1 <= audio.channels <= 8
        assert w.waveform.detail_curves  # the waveform has its data
        lo, hi = w.waveform.x_range()
        assert hi > lo
