"""kill -9 a process at a known moment: the crash-safety tests share this."""

from __future__ import annotations

import signal
import subprocess
import time


def kill_9_after_ready(cmd: list[str], ready: str, seconds: float, **popen_kw) -> tuple[str, float]:
    """Start ``cmd``, wait for its first stdout line (it must start with ``ready``), let it run
    ``seconds`` more, then SIGKILL it. Returns (that line, seconds it ran after the line)."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **popen_kw)
    try:
        line = proc.stdout.readline()
        assert line.startswith(ready), line + (proc.stderr.read() if proc.poll() is not None else "")
        t0 = time.monotonic()
        time.sleep(seconds)
        elapsed = time.monotonic() - t0
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()
    return line, elapsed
