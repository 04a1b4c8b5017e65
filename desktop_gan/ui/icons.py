"""Transport icons drawn with QPainter (no icon files, no dependence on the font's glyphs)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPainterPath, QPen, QPixmap

SIZE = 32


def _pixmap(draw, colour: str) -> QPixmap:
    pm = QPixmap(SIZE, SIZE)
    pm.fill(Qt.GlobalColor.transparent)
    p = QPainter(pm)
    p.setRenderHint(QPainter.RenderHint.Antialiasing)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(QColor(colour))
    draw(p, QColor(colour))
    p.end()
    return pm


def _poly(p: QPainter, pts) -> None:
    path = QPainterPath(QPointF(*pts[0]))
    for x, y in pts[1:]:
        path.lineTo(x, y)
    path.closeSubpath()
    p.drawPath(path)


def _play(p, _c):
    _poly(p, [(10, 7), (25, 16), (10, 25)])


def _pause(p, _c):
    p.drawRect(QRectF(9, 8, 5, 16))
    p.drawRect(QRectF(18, 8, 5, 16))


def _stop(p, _c):
    p.drawRect(QRectF(9, 9, 14, 14))


def _home(p, _c):
    p.drawRect(QRectF(8, 8, 3, 16))
    _poly(p, [(24, 8), (12, 16), (24, 24)])


def _record(p, _c):
    p.drawEllipse(QRectF(9, 9, 14, 14))


def _loop(p, c):
    p.setBrush(Qt.BrushStyle.NoBrush)
    p.setPen(QPen(c, 2.6))
    p.drawArc(QRectF(7, 9, 18, 14), 30 * 16, 300 * 16)
    p.setPen(Qt.PenStyle.NoPen)
    p.setBrush(c)
    _poly(p, [(21, 6), (27, 12), (20, 13)])


SHAPES = {"play": _play, "pause": _pause, "stop": _stop, "home": _home, "record": _record, "loop": _loop}


def icon(name: str, colour: str, active: str | None = None) -> QIcon:
    """An icon in ``colour``; ``active`` (if given) is used when the button is checked."""
    ic = QIcon()
    ic.addPixmap(_pixmap(SHAPES[name], colour), QIcon.Mode.Normal, QIcon.State.Off)
    ic.addPixmap(_pixmap(SHAPES[name], active or colour), QIcon.Mode.Normal, QIcon.State.On)
    return ic
