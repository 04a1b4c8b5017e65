"""The app entry point: first paint without torch, a clear message without a display."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def _run(args, env_extra, tmp_path, drop=()):
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env.update({"XDG_CONFIG_HOME": str(tmp_path / "cfg"), "XDG_DATA_HOME": str(tmp_path / "data"),
                "PYTHONPATH": str(ROOT)}, **env_extra)
    return subprocess.run([sys.executable, "-m", "desktop_gan.ui", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_first_paint_happens_without_importing_torch(tmp_path):
    proc = _run(["--startup-probe"], {"QT_QPA_PLATFORM": "offscreen"}, tmp_path)
    assert proc.returncode == 0, proc.stderr[-2000:]
    line = next(l for l in proc.stdout.splitlines() if l.startswith("STARTUP_PAINTED"))
    _, seconds, torch_flag = line.split()
    assert float(seconds) > 0 and torch_flag == "torch=False"


def test_no_display_gives_a_clear_message_not_a_qt_abort(tmp_path):
    proc = _run([], {}, tmp_path, drop=("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"))
    assert proc.returncode == 2
    assert "no display found" in proc.stderr and "QT_QPA_PLATFORM=offscreen" in proc.stderr


def test_corrupted_settings_file_on_the_command_line_still_starts(tmp_path):
    bad = tmp_path / "ui.json"
    bad.write_text("[1, 2")
    proc = _run(["--startup-probe", "--settings", str(bad)], {"QT_QPA_PLATFORM": "offscreen"}, tmp_path)
    assert proc.returncode == 0 and "STARTUP_PAINTED" in proc.stdout
    assert "unreadable" in proc.stderr and list(tmp_path.glob("ui.json.corrupt-*"))
