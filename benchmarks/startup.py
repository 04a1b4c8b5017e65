"""Start-up time: launching the app to the main window's first paint (target < 2 s).

    .venv/bin/python benchmarks/startup.py [--runs 5] [--platform offscreen|xcb]

Each run starts a fresh ``python -m desktop_gan --startup-probe`` (falling back to
``python -m desktop_gan.ui`` if the CLI does not pass the flag through) and reads the line
``STARTUP_PAINTED <s> torch=<bool>`` that the app prints from its first paintEvent; both the
app's own process age at that moment and the wall time seen from here are reported, and whether
torch had been imported (it must not be). Prints a table and, last, one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TARGET_S = 2.0


def launch(module: str, platform: str, cfg: str) -> tuple[float, float, bool, str]:
    env = {**os.environ, "QT_QPA_PLATFORM": platform, "XDG_CONFIG_HOME": cfg,
           "PYTHONPATH": str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", "")}
    t0 = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", module, "--startup-probe"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    wall = None
    line = ""
    for line in proc.stdout:
        if line.startswith("STARTUP_PAINTED"):
            wall = time.perf_counter() - t0
            break
    try:
        proc.wait(timeout=30)
    except subprocess.TimeoutExpired:
        proc.kill()
    if wall is None:
        return float("nan"), float("nan"), False, (proc.stderr.read() if proc.stderr else "")[-300:]
    _, age, torch_flag = line.split()
    return wall, float(age), torch_flag == "torch=True", ""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--platform", default="offscreen", help="QT_QPA_PLATFORM (xcb needs DISPLAY)")
    args = ap.parse_args(argv)
    cfg = tempfile.mkdtemp(prefix="dg-startup-")
    module = "desktop_gan"
    wall, age, torch_loaded, err = launch(module, args.platform, cfg)  # also warms the disk cache
    if wall != wall:  # NaN: the CLI did not accept the flag
        module = "desktop_gan.ui"
        wall, age, torch_loaded, err = launch(module, args.platform, cfg)
        if wall != wall:
            print(f"the app did not report a first paint: {err}", file=sys.stderr)
            return 1
    rows = []
    for i in range(args.runs):
        wall, age, torch_loaded, err = launch(module, args.platform, cfg)
        rows.append((wall, age, torch_loaded))
        print(f"run {i + 1}: launch->first paint {wall * 1000:7.0f} ms (process age {age * 1000:.0f} ms)"
              f"  torch imported: {torch_loaded}")
    walls = [r[0] for r in rows]
    med, worst = statistics.median(walls), max(walls)
    print()
    print(f"{'metric':<32}{'value':>10}{'target':>10}")
    print(f"{'median launch->paint (s)':<32}{med:>10.3f}{TARGET_S:>10.1f}")
    print(f"{'worst launch->paint (s)':<32}{worst:>10.3f}{TARGET_S:>10.1f}")
    print(f"{'torch imported before paint':<32}{str(any(r[2] for r in rows)):>10}{'False':>10}")
    print(f"{'command':<32}python -m {module} --startup-probe ({args.platform})")
    result = {"benchmark": "startup", "module": module, "platform": args.platform, "runs": len(rows),
              "median_s": round(med, 3), "worst_s": round(worst, 3), "target_s": TARGET_S,
              "torch_imported": any(r[2] for r in rows), "pass": worst < TARGET_S and not any(r[2] for r in rows)}
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
