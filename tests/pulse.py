"""A private PulseAudio server with a null sink, for tests and benchmarks that need real streams.

``virt`` is a 48 kHz stereo null sink and the default sink; its monitor ``virt.monitor`` is the
default source, so anything played is recorded back (a true loopback). A ``parec`` reader is kept
on the monitor for the whole run: without one an idle null sink sleeps in 2 s steps and every new
stream stalls. Both processes are stopped by their PIDs in :meth:`PulseServer.stop` (registered
with ``atexit`` too), so nothing is left behind.

``PULSE_SERVER`` must be exported before ``sounddevice`` is first imported: PortAudio reads the
device list once per process.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path

CONFIG = """\
load-module module-null-sink sink_name=virt rate=48000 channels=2
load-module module-native-protocol-unix auth-anonymous=1 socket={sock}
set-default-sink virt
set-default-source virt.monitor
"""


class PulseError(RuntimeError):
    pass


class PulseServer:
    def __init__(self) -> None:
        self.dir: Path | None = None
        self.server: str | None = None
        self._procs: list[subprocess.Popen] = []

    @property
    def env(self) -> dict[str, str]:
        assert self.dir is not None
        return {"PULSE_SERVER": self.server or "", "HOME": str(self.dir), "XDG_RUNTIME_DIR": str(self.dir)}

    def start(self, timeout: float = 20.0) -> "PulseServer":
        exe = shutil.which("pulseaudio")
        if exe is None or shutil.which("pactl") is None or shutil.which("parec") is None:
            raise PulseError("pulseaudio / pulseaudio-utils are not installed (apt-get install pulseaudio "
                             "pulseaudio-utils libasound2-plugins libportaudio2)")
        self.dir = Path(tempfile.mkdtemp(prefix="dg-pulse-"))
        sock = self.dir / "native"
        conf = self.dir / "default.pa"
        conf.write_text(CONFIG.format(sock=sock))
        self.server = f"unix:{sock}"
        env = {**os.environ, "HOME": str(self.dir), "XDG_RUNTIME_DIR": str(self.dir)}
        env.pop("PULSE_SERVER", None)
        log = open(self.dir / "pulse.log", "wb")
        self._procs.append(subprocess.Popen(
            [exe, "-n", "-F", str(conf), "--daemonize=no", "--exit-idle-time=-1", "--use-pid-file=no",
             "--disallow-exit", "--log-target=stderr"],
            env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True))
        log.close()
        atexit.register(self.stop)
        cli_env = {**env, "PULSE_SERVER": self.server}
        deadline = time.monotonic() + timeout
        while True:
            if self._procs[0].poll() is not None:
                raise PulseError(f"pulseaudio exited: {(self.dir / 'pulse.log').read_text()[-2000:]}")
            ok = subprocess.run(["pactl", "info"], env=cli_env, capture_output=True, timeout=10).returncode == 0
            if ok:
                break
            if time.monotonic() > deadline:
                self.stop()
                raise PulseError("pulseaudio did not answer pactl info in time")
            time.sleep(0.1)
        self._procs.append(subprocess.Popen(
            ["parec", "-d", "virt.monitor", "--latency-msec=10", "--raw"], env=cli_env,
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True))
        return self

    def stop(self) -> None:
        for proc in reversed(self._procs):
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait(timeout=5)
        self._procs.clear()
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    @property
    def pid(self) -> int | None:
        return self._procs[0].pid if self._procs else None
