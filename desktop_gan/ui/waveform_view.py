"""Waveform: a whole-file overview above a zoomable detail view (x in seconds).

Both draw from a ``PeakPyramid`` built off the GUI thread, so a redraw only slices a few thousand
min/max points whatever the file length. The overview's shaded window shows (and drags) the
detail view's range; the detail view has the playhead and a drag selection, which the window can
turn into the loop region.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QTimer, Signal
from PySide6.QtWidgets import QGraphicsItem, QVBoxLayout, QWidget

from desktop_gan.dsp.peaks import PeakPyramid, envelope_xy
from desktop_gan.ui.plot_common import make_plot, playhead_line, selection_region
from desktop_gan.ui.theme import DEFAULT, Theme

OVERVIEW_BINS = 1600
MIN_SPAN_S = 0.002


def _lane_offsets(channels: int) -> list[float]:
    """Channel lanes stacked top to bottom, each 2 units tall (amplitude -1..1)."""
    return [float(channels - 1 - 2 * i) for i in range(channels)]


class WaveformView(QWidget):
    xRangeChanged = Signal(float, float)  # seconds shown in the detail view
    selectionChanged = Signal(object)  # (start_s, end_s) or None
    seekRequested = Signal(float)  # seconds

    def __init__(self, theme: Theme = DEFAULT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.pyramid: PeakPyramid | None = None
        self.samplerate = 1
        self.duration = 0.0
        self._selection: tuple[float, float] | None = None
        self._syncing = False

        self.overview = make_plot(theme, selectable=False)
        self.overview.setFixedHeight(70)
        self.overview.getPlotItem().hideAxis("bottom")
        self.overview.getPlotItem().getViewBox().setMouseEnabled(x=False, y=False)
        self.detail = make_plot(theme)
        self.detail.setMinimumHeight(120)
        # The spectrogram below shares this x range and carries the time axis for both.
        self.detail.getPlotItem().hideAxis("bottom")

        pen = pg.mkPen(theme.accent2, width=1)
        self.overview_curves: list[pg.PlotCurveItem] = []
        self.detail_curves: list[pg.PlotCurveItem] = []
        self._pen = pen
        self.window_region = pg.LinearRegionItem(values=(0, 1), movable=True,
                                                 brush=theme.qcolor("text", 40),
                                                 pen=pg.mkPen(theme.text, width=1),
                                                 hoverBrush=theme.qcolor("text", 60))
        self.window_region.setZValue(5)
        self.overview.addItem(self.window_region)
        self.overview_playhead = playhead_line(theme)
        self.overview.addItem(self.overview_playhead)
        self.playhead = playhead_line(theme)
        self.detail.addItem(self.playhead)
        self.selection_item = selection_region(theme)
        self.detail.addItem(self.selection_item)

        self.hint = pg.TextItem("Drop an audio file here, or File › Open (Ctrl+O)", color=theme.dim, anchor=(0.5, 0.5))
        self.detail.addItem(self.hint)
        self._show_empty()

        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.setSpacing(2)
        lay.addWidget(self.overview)
        lay.addWidget(self.detail, 1)

        self._redraw_timer = QTimer(self)
        self._redraw_timer.setSingleShot(True)
        self._redraw_timer.setInterval(0)
        self._redraw_timer.timeout.connect(self._redraw_detail)

        vb = self.detail.getPlotItem().getViewBox()
        vb.sigXRangeChanged.connect(self._on_detail_range)
        vb.sigResized.connect(self._redraw_timer.start)
        vb.sigSelecting.connect(self._on_selecting)
        vb.sigClicked.connect(self._on_clicked)
        self.window_region.sigRegionChanged.connect(self._on_window_dragged)
        self.selection_item.sigRegionChangeFinished.connect(self._on_selection_dragged)
        self.overview.getPlotItem().getViewBox().scene().sigMouseClicked.connect(self._on_overview_click)

    def _show_empty(self) -> None:
        """No file: a clean 0-10 s frame with a hint instead of bare numeric axes."""
        for plot in (self.overview, self.detail):
            vb = plot.getPlotItem().getViewBox()
            vb.setLimits(xMin=0.0, xMax=10.0, yMin=-1.0, yMax=1.0)
            vb.setRange(xRange=(0.0, 10.0), yRange=(-1.0, 1.0), padding=0)
            plot.getPlotItem().getAxis("left").setTicks([[]])
        self.playhead.hide()
        self.overview_playhead.hide()
        self.window_region.hide()
        self.hint.setPos(5.0, 0.0)
        self.hint.show()

    # -- data ----------------------------------------------------------------------------
    def set_pyramid(self, pyramid: PeakPyramid, samplerate: int) -> None:
        self.pyramid, self.samplerate = pyramid, int(samplerate)
        for item in (self.playhead, self.overview_playhead, self.window_region):
            item.show()
        self.hint.hide()
        self.duration = pyramid.frames / float(samplerate)
        for plot, curves in ((self.overview, self.overview_curves), (self.detail, self.detail_curves)):
            for c in curves:
                plot.removeItem(c)
            curves.clear()
            for _ in range(pyramid.channels):
                c = pg.PlotCurveItem(pen=self._pen, connect="all", skipFiniteCheck=True)
                if plot is self.overview:  # static: repaint from a pixmap while the window moves
                    c.setCacheMode(QGraphicsItem.CacheMode.DeviceCoordinateCache)
                plot.addItem(c)
                curves.append(c)
        lanes = _lane_offsets(pyramid.channels)
        ov = pyramid.view(0, pyramid.frames, OVERVIEW_BINS)
        for ch, c in enumerate(self.overview_curves):
            x, y = envelope_xy(ov, offset=lanes[ch], scale=0.95, channel=ch)
            c.setData(x / self.samplerate, y)
        ylim = (-pyramid.channels, pyramid.channels)
        for plot in (self.overview, self.detail):
            vb = plot.getPlotItem().getViewBox()
            vb.setLimits(xMin=0.0, xMax=max(self.duration, MIN_SPAN_S), minXRange=MIN_SPAN_S,
                         yMin=ylim[0], yMax=ylim[1])
            vb.setYRange(*ylim, padding=0.02)
        names = ["L", "R"] if pyramid.channels == 2 else [f"{i + 1}" for i in range(pyramid.channels)]
        ticks = [(off, name) for off, name in zip(lanes, names)] if pyramid.channels > 1 else [(0.0, "")]
        self.detail.getPlotItem().getAxis("left").setTicks([ticks])
        self.overview.getPlotItem().getAxis("left").setTicks([[]])
        self.overview.getPlotItem().getViewBox().setXRange(0, self.duration, padding=0)
        self.set_selection(None)
        self.set_x_range(0.0, self.duration)
        self._redraw_detail()

    def clear(self) -> None:
        self.pyramid = None
        for plot, curves in ((self.overview, self.overview_curves), (self.detail, self.detail_curves)):
            for c in curves:
                plot.removeItem(c)
            curves.clear()
        self.set_selection(None)
        self._show_empty()

    # -- range ---------------------------------------------------------------------------
    def x_range(self) -> tuple[float, float]:
        a, b = self.detail.getPlotItem().getViewBox().viewRange()[0]
        return float(a), float(b)

    def set_x_range(self, start: float, end: float) -> None:
        self.detail.getPlotItem().getViewBox().setXRange(start, end, padding=0)

    def zoom(self, factor: float, center: float | None = None) -> None:
        a, b = self.x_range()
        c = (a + b) / 2 if center is None else center
        self.set_x_range(c - (c - a) * factor, c + (b - c) * factor)

    def _on_detail_range(self, _vb, rng) -> None:
        a, b = float(rng[0]), float(rng[1])
        self._syncing = True
        self.window_region.setRegion((a, b))
        self._syncing = False
        self._redraw_detail()  # a pyramid slice: ~1 ms, and it lands in the same repaint
        self.xRangeChanged.emit(a, b)

    def _on_window_dragged(self) -> None:
        if self._syncing:
            return
        a, b = self.window_region.getRegion()
        self.set_x_range(a, b)

    def _on_overview_click(self, ev) -> None:
        vb = self.overview.getPlotItem().getViewBox()
        if self.pyramid is None or not vb.sceneBoundingRect().contains(ev.scenePos()):
            return
        x = vb.mapSceneToView(ev.scenePos()).x()
        a, b = self.x_range()
        if not a <= x <= b:
            half = (b - a) / 2
            self.set_x_range(x - half, x + half)

    def _redraw_detail(self) -> None:
        if self.pyramid is None or not self.detail_curves:
            return
        a, b = self.x_range()
        width = max(50, int(self.detail.getPlotItem().getViewBox().width()))
        view = self.pyramid.view(a * self.samplerate, b * self.samplerate, width)
        lanes = _lane_offsets(self.pyramid.channels)
        for ch, c in enumerate(self.detail_curves):
            x, y = envelope_xy(view, offset=lanes[ch], scale=0.95, channel=ch)
            c.setData(x / self.samplerate, y)

    # -- playhead and selection ----------------------------------------------------------
    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)
        self.overview_playhead.setValue(seconds)

    @property
    def selection(self) -> tuple[float, float] | None:
        return self._selection

    def set_selection(self, sel: tuple[float, float] | None, emit: bool = True) -> None:
        if sel is not None:
            a, b = sorted((max(0.0, sel[0]), min(self.duration, sel[1])))
            sel = (a, b) if b - a >= MIN_SPAN_S else None
        self._selection = sel
        if sel is None:
            self.selection_item.hide()
        else:
            self.selection_item.blockSignals(True)
            self.selection_item.setRegion(sel)
            self.selection_item.blockSignals(False)
            self.selection_item.show()
        if emit:
            self.selectionChanged.emit(sel)

    def set_loop_look(self, looping: bool) -> None:
        """The selection turns green while it is the active loop region."""
        name = "ok" if looping else "accent"
        self.selection_item.setBrush(self.theme.qcolor(name, 50))
        for line in self.selection_item.lines:
            line.setPen(pg.mkPen(getattr(self.theme, name), width=1.5 if looping else 1))
        self.selection_item.update()  # setBrush alone leaves stale parts on a partial repaint

    def _on_selecting(self, a: float, b: float, finished: bool) -> None:
        if self.pyramid is None:
            return
        self.set_selection((a, b), emit=finished)

    def _on_selection_dragged(self) -> None:
        a, b = self.selection_item.getRegion()
        self.set_selection((a, b))

    def _on_clicked(self, x: float) -> None:
        if self.pyramid is not None:
            self.seekRequested.emit(float(np.clip(x, 0.0, self.duration)))
