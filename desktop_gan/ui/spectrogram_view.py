"""Spectrogram: log-frequency rows, dB colour map, tiles added as the worker delivers them.

The view only shows: tiles arrive as uint8 images (already mapped from dB in the worker), each
becomes an ``ImageItem`` placed at its time span, so the GUI thread never touches an FFT. Its x
axis is linked to the waveform's detail view by the window.

Tiles arrive already coloured (RGB, from the worker) so painting needs no level or LUT pass.
Level of detail: the worker also max-pools each tile by 8x, 64x, ... into whole-file images. The
view draws the finest level with at most ``MAX_COLS_PER_PIXEL`` columns per pixel: zoomed in, only
the full-resolution tiles overlapping the view are in the scene; zoomed out, one pooled image. A
repaint's cost therefore does not grow with the file's length.
"""

from __future__ import annotations

import numpy as np
import pyqtgraph as pg
from PySide6.QtCore import QRectF, QTimer, Signal
from PySide6.QtWidgets import QVBoxLayout, QWidget

from desktop_gan.dsp.spectrogram import SpectrogramParams, band_edges, n_columns
from desktop_gan.ui.plot_common import make_plot, playhead_line, selection_region
from desktop_gan.ui.theme import DEFAULT, Theme

FREQ_TICKS = (50, 100, 200, 500, 1000, 2000, 5000, 10000, 20000)
MAX_COLS_PER_PIXEL = 4.0  # finer images than this are replaced by a pooled level
POOL_REFRESH_MS = 150  # pooled images are re-uploaded at most this often while tiles arrive


class LogFreqAxis(pg.AxisItem):
    """Rows are log bands; ticks are placed at round frequencies."""

    def __init__(self, **kwargs) -> None:
        super().__init__(orientation="left", **kwargs)
        self._edges: np.ndarray | None = None

    def set_bands(self, edges: np.ndarray) -> None:
        self._edges = np.log(edges)
        n = len(edges) - 1
        major = []
        for f in FREQ_TICKS:
            if edges[0] <= f <= edges[-1]:
                row = (np.log(f) - self._edges[0]) / (self._edges[-1] - self._edges[0]) * n
                major.append((row, f"{f // 1000}k" if f >= 1000 else str(f)))
        self.setTicks([major, []])


class SpectrogramView(QWidget):
    seekRequested = Signal(float)
    selecting = Signal(float, float, bool)

    def __init__(self, theme: Theme = DEFAULT, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.theme = theme
        self.axis = LogFreqAxis()
        self.plot = make_plot(theme, left_axis=self.axis)
        self.plot.setMinimumHeight(120)
        self.plot.getPlotItem().showGrid(x=False, y=False)
        self.lut = pg.colormap.get("inferno").getLookupTable(nPts=256)
        self.tiles: dict[int, pg.ImageItem] = {}
        self.expected_tiles = 0
        self.params = SpectrogramParams()
        self.samplerate = 1
        self.playhead = playhead_line(theme)
        self.plot.addItem(self.playhead)
        self.selection_item = selection_region(theme, movable=False)
        self.plot.addItem(self.selection_item)
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 0, 0, 0)
        lay.addWidget(self.plot)
        self.levels: dict[int, tuple[np.ndarray, pg.ImageItem]] = {}  # k -> (rgb image, item)
        self.level_shown = 1
        self.shown: set[int] = set()  # col0 of full-resolution tiles currently in the scene
        self._dirty: set[int] = set()
        self._pool_timer = QTimer(self)
        self._pool_timer.setSingleShot(True)
        self._pool_timer.setInterval(POOL_REFRESH_MS)
        self._pool_timer.timeout.connect(self._refresh_pooled)
        self.axis.set_bands(band_edges(48000, self.params))  # labelled even before a file is open
        self.playhead.hide()
        vb = self.plot.getPlotItem().getViewBox()
        vb.setRange(yRange=(0, self.params.n_bins), padding=0)
        vb.sigXRangeChanged.connect(self.update_lod)  # same repaint as the range change
        vb.sigClicked.connect(lambda x: self.seekRequested.emit(max(0.0, x)))
        vb.sigSelecting.connect(self.selecting.emit)

    @property
    def complete(self) -> bool:
        return self.expected_tiles > 0 and len(self.tiles) >= self.expected_tiles

    def begin(self, samplerate: int, params: SpectrogramParams, n_tiles: int, duration: float,
              pool: tuple[int, ...] = ()) -> None:
        """Forget the old tiles and prepare for ``n_tiles`` new ones and the pooled levels."""
        self.clear()
        self.playhead.show()
        self.samplerate, self.params, self.expected_tiles = int(samplerate), params, n_tiles
        self.axis.set_bands(band_edges(samplerate, params))
        total = n_columns(int(round(duration * samplerate)), params.hop)
        hop_s = params.hop / self.samplerate
        for k in pool:
            image = np.zeros((params.n_bins, -(-total // k), 3), np.uint8)
            item = pg.ImageItem(axisOrder="row-major")
            item.setImage(image, autoLevels=False, levels=None)
            item.setRect(QRectF(-0.5 * hop_s, 0.0, image.shape[1] * k * hop_s, params.n_bins))
            item.setZValue(-20)
            item.hide()
            self.plot.addItem(item)
            self.levels[k] = (image, item)
        vb = self.plot.getPlotItem().getViewBox()
        vb.setLimits(yMin=0, yMax=params.n_bins, xMin=0.0, xMax=max(duration, 0.002))
        vb.setYRange(0, params.n_bins, padding=0)
        self.update_lod()

    def add_tile(self, tile) -> None:
        """``tile``: a ``loader.Tile`` (RGB image and its pooled copies)."""
        hop_s = self.params.hop / self.samplerate
        col0, n_cols = tile.col0, tile.rgb.shape[1]
        item = pg.ImageItem(axisOrder="row-major")
        item.setImage(tile.rgb, autoLevels=False, levels=None)
        item.setRect(QRectF((col0 - 0.5) * hop_s, 0.0, n_cols * hop_s, self.params.n_bins))
        item.setZValue(-10)
        old = self.tiles.pop(col0, None)
        if old is not None and col0 in self.shown:
            self.plot.removeItem(old)
            self.shown.discard(col0)
        self.tiles[col0] = item
        for k, pooled in tile.pooled.items():
            if k in self.levels:
                image = self.levels[k][0]
                c = col0 // k
                w = min(pooled.shape[1], image.shape[1] - c)
                image[:, c:c + w] = pooled[:, :w]
                self._dirty.add(k)
        if self._dirty and not self._pool_timer.isActive():
            self._pool_timer.start()
        self.update_lod()

    def _refresh_pooled(self) -> None:
        for k in self._dirty:
            if k in self.levels:
                self.levels[k][1].updateImage()
        self._dirty.clear()

    def visible_range(self) -> tuple[float, float]:
        a, b = self.plot.getPlotItem().getViewBox().viewRange()[0]
        return float(a), float(b)

    def choose_level(self) -> int:
        """1 (full tiles) or the pooling factor to draw at the current zoom."""
        a, b = self.visible_range()
        px = max(1.0, self.plot.getPlotItem().getViewBox().width())
        cols = (b - a) * self.samplerate / self.params.hop
        choice = 1
        for k in (1, *sorted(self.levels)):
            choice = k
            if cols / k / px <= MAX_COLS_PER_PIXEL:
                break
        return choice

    def update_lod(self, *_args) -> None:
        """Put the right images in the scene for the current x range."""
        level = self.choose_level()
        self.level_shown = level
        for k, (_img, item) in self.levels.items():
            item.setVisible(k == level)
        a, b = self.visible_range()
        hop_s = self.params.hop / max(1, self.samplerate)
        for col0, item in self.tiles.items():
            t0 = (col0 - 0.5) * hop_s
            t1 = t0 + item.image.shape[1] * hop_s
            want = level == 1 and t1 >= a and t0 <= b
            if want and col0 not in self.shown:
                self.plot.addItem(item)
                self.shown.add(col0)
            elif not want and col0 in self.shown:
                self.plot.removeItem(item)
                self.shown.discard(col0)

    def clear(self) -> None:
        for col0 in self.shown:
            self.plot.removeItem(self.tiles[col0])
        for _img, item in self.levels.values():
            self.plot.removeItem(item)
        self.levels.clear()
        self._dirty.clear()
        self.shown.clear()
        self.tiles.clear()
        self.expected_tiles = 0

    def set_playhead(self, seconds: float) -> None:
        self.playhead.setValue(seconds)

    def set_selection(self, sel: tuple[float, float] | None) -> None:
        if sel is None:
            self.selection_item.hide()
        else:
            self.selection_item.setRegion(sel)
            self.selection_item.show()

    def set_loop_look(self, looping: bool) -> None:
        name = "ok" if looping else "accent"
        self.selection_item.setBrush(self.theme.qcolor(name, 40))
        for line in self.selection_item.lines:
            line.setPen(pg.mkPen(getattr(self.theme, name), width=1))
        self.selection_item.update()  # setBrush alone leaves stale parts on a partial repaint
