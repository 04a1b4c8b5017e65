"""Transport bar: play/pause, stop, to-start, loop, record, and the time display.

The bar only emits intents (its QActions carry the keyboard shortcuts: Space, Home, L, R); the
window decides what they do and reports state back with ``set_playing``/``set_time``/...
"""

from __future__ import annotations

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

from desktop_gan.ui.icons import icon
from desktop_gan.ui.plot_common import format_time
from desktop_gan.ui.theme import DEFAULT, Theme


def _action(parent: QWidget, text: str, tip: str, key: str, checkable: bool = False) -> QAction:
    act = QAction(text, parent)
    act.setToolTip(f"{tip} ({key})")
    act.setShortcut(QKeySequence(key))
    act.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    act.setCheckable(checkable)
    return act


class Transport(QFrame):
    def __init__(self, parent: QWidget | None = None, theme: Theme = DEFAULT) -> None:
        super().__init__(parent)
        self.setObjectName("Bar")
        self.theme = theme
        self.play_action = _action(self, "Play", "Play / pause", "Space")
        self.stop_action = _action(self, "Stop", "Stop", "Ctrl+.")
        self.home_action = _action(self, "Start", "Go to start", "Home")
        self.loop_action = _action(self, "Loop", "Loop the selection (or the whole file)", "L", checkable=True)
        self.record_action = _action(self, "Rec", "Record a take", "R", checkable=True)
        self._play_icon = icon("play", theme.text)
        self._pause_icon = icon("pause", theme.accent)
        self.play_action.setIcon(self._play_icon)
        self.stop_action.setIcon(icon("stop", theme.text))
        self.home_action.setIcon(icon("home", theme.text))
        self.loop_action.setIcon(icon("loop", theme.text, "#111111"))
        self.record_action.setIcon(icon("record", theme.record, "#ffffff"))

        lay = QHBoxLayout(self)
        lay.setContentsMargins(6, 4, 6, 4)
        lay.setSpacing(4)
        self.buttons: dict[str, QToolButton] = {}
        for name, act in (("home", self.home_action), ("play", self.play_action),
                          ("stop", self.stop_action), ("loop", self.loop_action),
                          ("record", self.record_action)):
            b = QToolButton(self)
            b.setDefaultAction(act)
            b.setIconSize(QSize(18, 18))
            text_too = name in ("loop", "record")
            b.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextBesideIcon if text_too
                                 else Qt.ToolButtonStyle.ToolButtonIconOnly)
            b.setFocusPolicy(Qt.FocusPolicy.NoFocus)
            b.setMinimumWidth(34)
            if name == "record":
                b.setObjectName("Record")
            self.buttons[name] = b
            lay.addWidget(b)
        lay.addSpacing(10)
        self.time_label = QLabel(self)
        self.time_label.setObjectName("Time")
        self.time_label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        lay.addWidget(self.time_label)
        info = QVBoxLayout()
        info.setSpacing(0)
        self.file_label = QLabel("No file", self)
        self.file_label.setObjectName("FileName")
        self.detail_label = QLabel("Open a file (Ctrl+O) or drop one here", self)
        self.detail_label.setObjectName("Detail")
        info.addWidget(self.file_label)
        info.addWidget(self.detail_label)
        lay.addSpacing(10)
        lay.addLayout(info, 1)
        self.set_time(0.0, 0.0)

    @property
    def actions_list(self) -> list[QAction]:
        return [self.play_action, self.stop_action, self.home_action, self.loop_action, self.record_action]

    def set_time(self, position_s: float, duration_s: float) -> None:
        self.time_label.setText(f"{format_time(position_s)} / {format_time(duration_s)}")

    def set_playing(self, playing: bool) -> None:
        if playing != getattr(self, "_playing", None):
            self._playing = playing
            self.play_action.setIcon(self._pause_icon if playing else self._play_icon)
            self.play_action.setText("Pause" if playing else "Play")

    def set_recording(self, recording: bool) -> None:
        self.record_action.blockSignals(True)
        self.record_action.setChecked(recording)
        self.record_action.blockSignals(False)
        self.record_action.setText("Stop rec" if recording else "Rec")

    def set_looping(self, looping: bool) -> None:
        self.loop_action.blockSignals(True)
        self.loop_action.setChecked(looping)
        self.loop_action.blockSignals(False)

    def set_file(self, name: str, detail: str) -> None:
        self.file_label.setText(name)
        self.detail_label.setText(detail)
