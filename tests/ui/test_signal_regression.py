"""PySide6 6.12.0 on CPython 3.11 dropped a reference to True on every Signal.emit() and aborted the
interpreter after a few hundred emits. Emit a few thousand times, with and without a bool argument
and across threads, in a subprocess, so a bad upgrade fails this test instead of the app."""

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent("""
    import sys, threading
    from PySide6.QtCore import QCoreApplication, QObject, Signal, Qt

    class Emitter(QObject):
        plain = Signal()
        flag = Signal(bool)
        job = Signal(int, float, str)

    app = QCoreApplication([])
    e = Emitter()
    got = {"plain": 0, "flag": 0, "job": 0}
    e.plain.connect(lambda: got.__setitem__("plain", got["plain"] + 1))
    e.flag.connect(lambda v: got.__setitem__("flag", got["flag"] + 1))
    e.job.connect(lambda i, f, s: got.__setitem__("job", got["job"] + 1), Qt.QueuedConnection)
    before = sys.getrefcount(True)
    for i in range(5000):
        e.plain.emit()
        e.flag.emit(i % 2 == 0)
    t = threading.Thread(target=lambda: [e.job.emit(i, 0.5, "x") for i in range(5000)])
    t.start(); t.join()
    app.processEvents()
    after = sys.getrefcount(True)
    print(got["plain"], got["flag"], got["job"], before, after)
""")


def test_thousands_of_emits_keep_the_interpreter_alive():
    proc = subprocess.run([sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120,
                          env={"QT_QPA_PLATFORM": "offscreen", "PATH": "/usr/bin:/bin"})
    assert proc.returncode == 0, f"interpreter died (rc {proc.returncode}): {proc.stderr[-2000:]}"
    plain, flag, job, before, after = map(int, proc.stdout.split())
    assert (plain, flag, job) == (5000, 5000, 5000)
    # True/False are immortal on 3.12+ (huge refcounts); on 3.11 the count must not drift down
    assert after >= before - 10
