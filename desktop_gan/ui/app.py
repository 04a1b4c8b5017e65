"""Application entry: ``run_app(argv) -> int`` builds the QApplication and the main window.

``desktop-gan [FILE] [--no-audio] [--settings PATH] [--startup-probe]``. ``--startup-probe``
prints ``STARTUP_PAINTED <seconds since interpreter start> torch=<loaded?>`` when the window first
paints, then quits (used by benchmarks/startup.py). Nothing heavy (torch, the audio engine,
panels) is imported before the first paint.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="desktop-gan", description="Open the desktop_gan window.")
    p.add_argument("files", nargs="*", help="audio file to open")
    p.add_argument("--no-audio", action="store_true", help="do not open audio devices")
    p.add_argument("--settings", type=Path, default=None, help="settings JSON file to use")
    p.add_argument("--startup-probe", action="store_true", help=argparse.SUPPRESS)
    return p


def _display_problem() -> str | None:
    if sys.platform.startswith("linux") and not os.environ.get("QT_QPA_PLATFORM"):
        if not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
            return ("desktop-gan: no display found (DISPLAY/WAYLAND_DISPLAY unset). Run it in a desktop "
                    "session, or set QT_QPA_PLATFORM=offscreen for headless use.")
    return None


def _process_age() -> float:
    """Seconds since this process started (Linux /proc; else since this module ran)."""
    try:
        with open("/proc/self/stat") as fh:
            start_ticks = float(fh.read().rsplit(")", 1)[1].split()[19])
        with open("/proc/uptime") as fh:
            uptime = float(fh.read().split()[0])
        return uptime - start_ticks / os.sysconf("SC_CLK_TCK")
    except (OSError, ValueError, IndexError):
        return time.perf_counter()


def run_app(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    problem = _display_problem()
    if problem:
        print(problem, file=sys.stderr)
        return 2

    from PySide6.QtCore import QTimer
    from PySide6.QtWidgets import QApplication

    from desktop_gan.io.paths import user_config_dir
    from desktop_gan.ui.audio_link import EngineLink
    from desktop_gan.ui.main_window import MainWindow
    from desktop_gan.ui.settings import Settings
    from desktop_gan.ui.theme import apply_theme, configure_pyqtgraph

    app = QApplication.instance() or QApplication(["desktop-gan"])
    app.setApplicationName("desktop_gan")
    app.setOrganizationName("desktop_gan")
    apply_theme(app)
    configure_pyqtgraph()
    settings = Settings(args.settings or user_config_dir() / "ui.json")
    window = MainWindow(settings, engine_link=EngineLink(), start_audio=not (args.no_audio or args.startup_probe))
    if settings.warning:
        print(f"desktop-gan: {settings.warning}", file=sys.stderr)

    if args.startup_probe:
        def report() -> None:
            print(f"STARTUP_PAINTED {_process_age():.3f} torch={'torch' in sys.modules}", flush=True)
            QTimer.singleShot(0, window.close)

        window.firstPainted.connect(report)

    window.show()
    if args.files:
        window.open_file(args.files[0])
    rc = app.exec()
    window.shutdown()
    return int(rc)
