"""Input level meters: one horizontal bar per channel, RMS bar, peak tick with hold, dBFS scale.

The widget only paints what it is given (``set_levels`` from the window's ~30 ms poll of
``engine.meter()``); ballistics are a simple fall-off so the bars read calmly.
"""

from __future__ import annotations

import math
import time

import numpy as np
from PySide6.QtCore import QRectF, QSize, Qt
from PySide6.QtGui import QColor, QFont, QPainter
from PySide6.QtWidgets import QSizePolicy, QWidget

from desktop_gan.ui.theme import DEFAULT, Theme

FLOOR_DB = -60.0
FALL_DB_PER_S = 24.0
HOLD_S = 1.2


def to_db(x: float) -> float:
    return 20.0 * math.log10(x) if x > 1e-9 else -180.0


class LevelMeter(QWidget):
    def __init__(self, channels: int = 2, theme: Theme = DEFAULT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Fixed)
        self.setMinimumWidth(140)
        self.set_channels(channels)
        self._last = time.monotonic()

    def set_channels(self, channels: int) -> None:
        n = max(1, int(channels))
        self.rms_db = [FLOOR_DB] * n
        self.peak_db = [FLOOR_DB] * n
        self.hold_db = [FLOOR_DB] * n
        self.hold_t = [0.0] * n
        self.clipped = [False] * n
        self.setFixedHeight(8 + 9 * n + 10)
        self.update()

    @property
    def channels(self) -> int:
        return len(self.rms_db)

    def sizeHint(self) -> QSize:  # noqa: N802
        return QSize(220, self.height())

    def set_levels(self, peak: np.ndarray, rms: np.ndarray) -> None:
        peak, rms = np.atleast_1d(peak), np.atleast_1d(rms)
        if len(peak) != self.channels:
            self.set_channels(len(peak))
        now = time.monotonic()
        fall = FALL_DB_PER_S * max(0.0, now - self._last)
        self._last = now
        for i in range(self.channels):
            p, r = to_db(float(peak[i])), to_db(float(rms[i]))
            self.rms_db[i] = max(r, self.rms_db[i] - fall, FLOOR_DB)
            self.peak_db[i] = max(p, self.peak_db[i] - fall, FLOOR_DB)
            if p >= self.hold_db[i] or now - self.hold_t[i] > HOLD_S:
                self.hold_db[i], self.hold_t[i] = max(p, FLOOR_DB), now
            if p >= -0.1:
                self.clipped[i] = True
        self.update()

    def reset(self) -> None:
        self.set_channels(self.channels)

    def _x(self, db: float, width: float) -> float:
        return max(0.0, min(1.0, (db - FLOOR_DB) / -FLOOR_DB)) * width

    def paintEvent(self, _ev) -> None:  # noqa: N802
        t = self.theme
        p = QPainter(self)
        p.fillRect(self.rect(), QColor(t.panel))
        p.translate(10, 0)  # room for the first scale label
        w = self.width() - 34.0
        bar_h = 7.0
        for i in range(self.channels):
            y = 4.0 + i * (bar_h + 2)
            p.fillRect(QRectF(0, y, w, bar_h), QColor(t.base))
            xr = self._x(self.rms_db[i], w)
            x_yel, x_red = self._x(-18.0, w), self._x(-6.0, w)
            p.fillRect(QRectF(0, y, min(xr, x_yel), bar_h), QColor(t.ok))
            if xr > x_yel:
                p.fillRect(QRectF(x_yel, y, min(xr, x_red) - x_yel, bar_h), QColor(t.warn))
            if xr > x_red:
                p.fillRect(QRectF(x_red, y, xr - x_red, bar_h), QColor(t.record))
            xp = self._x(self.peak_db[i], w)
            c = QColor(t.text)
            c.setAlpha(90)
            p.fillRect(QRectF(xr, y + 2, max(0.0, xp - xr), bar_h - 4), c)
            xh = self._x(self.hold_db[i], w)
            p.fillRect(QRectF(max(0.0, xh - 1.5), y, 2.0, bar_h), QColor(t.text))
            p.fillRect(QRectF(w + 4, y, 8, bar_h), QColor(t.record if self.clipped[i] else t.raised))
        font = QFont(self.font())
        font.setPointSizeF(7.0)
        p.setFont(font)
        p.setPen(QColor(t.dim))
        y = 4.0 + self.channels * (bar_h + 2)
        for db in (-60, -48, -36, -24, -12, -6, 0):
            x = self._x(db, w)
            p.drawLine(int(x), int(y), int(x), int(y + 2))
            p.drawText(QRectF(x - 14, y + 1, 28, 10), Qt.AlignmentFlag.AlignHCenter, str(db))
        p.end()

    def mousePressEvent(self, _ev) -> None:  # noqa: N802
        self.clipped = [False] * self.channels  # click clears the clip lights
        self.update()
