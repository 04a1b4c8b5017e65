"""The dark, plugin-style look: palette, accent colour, compact controls, pyqtgraph colours."""

from __future__ import annotations

from dataclasses import dataclass

from PySide6.QtGui import QColor, QFont, QPalette
from PySide6.QtWidgets import QApplication


@dataclass(frozen=True)
class Theme:
    window: str = "#1b1d21"
    panel: str = "#23262b"
    base: str = "#15171a"
    raised: str = "#2c3036"
    border: str = "#3a3f47"
    text: str = "#d8dce2"
    dim: str = "#8b929c"
    accent: str = "#ff9f1c"  # amber: transport, selection, playhead
    accent2: str = "#3ec7c2"  # teal: waveform
    record: str = "#e5484d"
    ok: str = "#5fd068"
    warn: str = "#f2c94c"
    font_size: int = 10

    def qcolor(self, name: str, alpha: int = 255) -> QColor:
        c = QColor(getattr(self, name))
        c.setAlpha(alpha)
        return c


DEFAULT = Theme()


def stylesheet(t: Theme) -> str:
    return f"""
QMainWindow, QDialog {{ background: {t.window}; }}
QWidget {{ color: {t.text}; }}
QToolTip {{ background: {t.raised}; color: {t.text}; border: 1px solid {t.border}; }}
QMenuBar {{ background: {t.panel}; border-bottom: 1px solid {t.border}; }}
QMenuBar::item:selected, QMenu::item:selected {{ background: {t.accent}; color: #111; }}
QMenu {{ background: {t.panel}; border: 1px solid {t.border}; }}
QMenu::item:disabled {{ color: {t.dim}; }}
QStatusBar {{ background: {t.panel}; border-top: 1px solid {t.border}; color: {t.dim}; }}
QStatusBar QLabel {{ color: {t.dim}; padding: 0 6px; }}
QFrame#Bar {{ background: {t.panel}; border: 1px solid {t.border}; border-radius: 4px; }}
QLabel#Time {{ font-family: "DejaVu Sans Mono"; font-size: 16pt; color: {t.accent};
    background: {t.base}; border: 1px solid {t.border}; border-radius: 3px; padding: 2px 8px; }}
QLabel#Caption {{ color: {t.dim}; font-size: 8pt; text-transform: uppercase; }}
QLabel#Detail {{ color: {t.dim}; font-size: 8pt; }}
QLabel#FileName {{ color: {t.text}; font-weight: bold; }}
QToolButton, QPushButton {{ background: {t.raised}; border: 1px solid {t.border}; border-radius: 3px;
    padding: 3px 8px; min-height: 20px; }}
QToolButton:hover, QPushButton:hover {{ border-color: {t.accent}; }}
QToolButton:checked {{ background: {t.accent}; color: #111; border-color: {t.accent}; }}
QToolButton#Record:checked {{ background: {t.record}; color: white; border-color: {t.record}; }}
QToolButton:disabled, QPushButton:disabled {{ color: {t.dim}; }}
QComboBox {{ background: {t.base}; border: 1px solid {t.border}; border-radius: 3px;
    padding: 2px 6px; min-height: 20px; }}
QComboBox:hover {{ border-color: {t.accent}; }}
QComboBox QAbstractItemView {{ background: {t.panel}; selection-background-color: {t.accent};
    selection-color: #111; border: 1px solid {t.border}; }}
QTabWidget::pane {{ border: 1px solid {t.border}; background: {t.panel}; top: -1px; }}
QTabBar::tab {{ background: {t.window}; border: 1px solid {t.border}; padding: 4px 12px;
    color: {t.dim}; border-bottom: none; }}
QTabBar::tab:selected {{ background: {t.panel}; color: {t.text}; border-top: 2px solid {t.accent}; }}
QCheckBox::indicator, QRadioButton::indicator {{ width: 12px; height: 12px; background: {t.base};
    border: 1px solid {t.dim}; }}
QCheckBox::indicator {{ border-radius: 2px; }}
QRadioButton::indicator {{ border-radius: 7px; }}
QCheckBox::indicator:hover, QRadioButton::indicator:hover {{ border-color: {t.accent}; }}
QCheckBox::indicator:checked, QRadioButton::indicator:checked {{ background: {t.accent};
    border-color: {t.accent}; }}
QCheckBox::indicator:disabled, QRadioButton::indicator:disabled {{ border-color: {t.border}; }}
QSplitter::handle {{ background: {t.window}; }}
QScrollBar:horizontal {{ background: {t.base}; height: 10px; }}
QScrollBar::handle:horizontal {{ background: {t.raised}; border-radius: 4px; min-width: 20px; }}
"""


def apply_theme(app: QApplication, t: Theme = DEFAULT) -> None:
    """Fusion style with a dark palette and the stylesheet; idempotent."""
    app.setStyle("Fusion")
    pal = QPalette()
    roles = {
        QPalette.Window: t.window, QPalette.WindowText: t.text, QPalette.Base: t.base,
        QPalette.AlternateBase: t.panel, QPalette.Text: t.text, QPalette.Button: t.raised,
        QPalette.ButtonText: t.text, QPalette.Highlight: t.accent, QPalette.HighlightedText: "#111111",
        QPalette.ToolTipBase: t.raised, QPalette.ToolTipText: t.text, QPalette.PlaceholderText: t.dim,
        QPalette.Link: t.accent2,
    }
    for role, colour in roles.items():
        pal.setColor(role, QColor(colour))
    for role in (QPalette.Text, QPalette.ButtonText, QPalette.WindowText):
        pal.setColor(QPalette.Disabled, role, QColor(t.dim))
    app.setPalette(pal)
    font = QFont("DejaVu Sans")
    font.setPointSize(t.font_size)
    app.setFont(font)
    app.setStyleSheet(stylesheet(t))


def configure_pyqtgraph(t: Theme = DEFAULT) -> None:
    """Global pyqtgraph options (software rendering: offscreen and Xvfb have no OpenGL)."""
    import pyqtgraph as pg

    pg.setConfigOptions(useOpenGL=False, antialias=False, background=t.base, foreground=t.dim,
                        imageAxisOrder="row-major")
