"""Pieces shared by the waveform and spectrogram plots: a time axis and a view box in which a
left drag selects a time range, a click seeks, the wheel zooms in time and a right drag pans."""

from __future__ import annotations

import pyqtgraph as pg
from PySide6.QtCore import Qt, Signal

from desktop_gan.ui.theme import DEFAULT, Theme

AXIS_WIDTH = 52  # the same left-axis width on every plot keeps their x pixels aligned


def format_time(seconds: float, millis: bool = True) -> str:
    seconds = max(0.0, float(seconds))
    m, s = divmod(seconds, 60.0)
    if millis:
        return f"{int(m):02d}:{s:06.3f}"
    return f"{int(m):02d}:{int(s):02d}"


class TimeAxis(pg.AxisItem):
    """Seconds shown as mm:ss(.fff) depending on the zoom."""

    def tickStrings(self, values, scale, spacing):  # noqa: N802 (Qt naming)
        fine = spacing < 1.0
        out = []
        for v in values:
            if v < 0:
                out.append("")
            elif fine:
                out.append(format_time(v, millis=True)[:-1] if spacing >= 0.01 else format_time(v))
            else:
                out.append(format_time(v, millis=False))
        return out


class SelectViewBox(pg.ViewBox):
    """Left drag = select (seconds), click = seek, wheel = zoom time, right drag = pan."""

    sigSelecting = Signal(float, float, bool)  # start, end, finished
    sigClicked = Signal(float)

    def __init__(self, **kwargs) -> None:
        super().__init__(**kwargs)
        self.setMouseEnabled(x=True, y=False)
        self.setMenuEnabled(False)

    def mouseDragEvent(self, ev, axis=None):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            a = self.mapSceneToView(ev.buttonDownScenePos()).x()
            b = self.mapSceneToView(ev.scenePos()).x()
            self.sigSelecting.emit(min(a, b), max(a, b), bool(ev.isFinish()))
            return
        if ev.button() in (Qt.MouseButton.RightButton, Qt.MouseButton.MiddleButton):
            ev.accept()
            last = self.mapSceneToView(ev.lastScenePos()).x()
            now = self.mapSceneToView(ev.scenePos()).x()
            self.translateBy(x=last - now)
            return
        super().mouseDragEvent(ev, axis)

    def mouseClickEvent(self, ev):  # noqa: N802
        if ev.button() == Qt.MouseButton.LeftButton:
            ev.accept()
            self.sigClicked.emit(self.mapSceneToView(ev.scenePos()).x())
            return
        super().mouseClickEvent(ev)


def make_plot(theme: Theme = DEFAULT, *, selectable: bool = True, time_axis: bool = True,
              left_axis: pg.AxisItem | None = None) -> pg.PlotWidget:
    axes = {}
    if time_axis:
        axes["bottom"] = TimeAxis(orientation="bottom")
    if left_axis is not None:
        axes["left"] = left_axis
    vb = SelectViewBox() if selectable else pg.ViewBox()
    w = pg.PlotWidget(viewBox=vb, axisItems=axes, background=theme.base)
    w.setAntialiasing(False)
    pi = w.getPlotItem()
    pi.hideButtons()
    pi.setMenuEnabled(False)
    pi.getAxis("left").setWidth(AXIS_WIDTH)
    for name in ("left", "bottom"):
        ax = pi.getAxis(name)
        ax.setPen(pg.mkPen(theme.border))
        ax.setTextPen(pg.mkPen(theme.dim))
    pi.layout.setContentsMargins(0, 2, 6, 0)
    vb.setDefaultPadding(0.0)
    return w


def playhead_line(theme: Theme = DEFAULT) -> pg.InfiniteLine:
    line = pg.InfiniteLine(pos=0.0, angle=90, movable=False, pen=pg.mkPen(theme.accent, width=1.5))
    line.setZValue(20)
    return line


def selection_region(theme: Theme = DEFAULT, movable: bool = True) -> pg.LinearRegionItem:
    region = pg.LinearRegionItem(values=(0, 0), orientation="vertical", movable=movable,
                                 brush=theme.qcolor("accent", 45), pen=pg.mkPen(theme.accent, width=1),
                                 hoverBrush=theme.qcolor("accent", 70))
    region.setZValue(10)
    region.hide()
    return region
