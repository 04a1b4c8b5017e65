"""Freeze entry point of the one-folder bundle (PyInstaller runs this as ``desktop-gan``).

The bundle binary stands in for both ``desktop-gan`` and ``python``: the app starts training as
``sys.executable -m desktop_gan.train ...`` (``desktop_gan/workers/training_process.py``), and in a
frozen bundle ``sys.executable`` is this binary. So ``-m MODULE ARGS`` is recognised here and
dispatched to that module's ``main``; everything else goes to ``desktop_gan.cli.main`` as usual.
"""

from __future__ import annotations

import os
import sys


def _use_bundled_portaudio() -> None:
    """Let sounddevice find the PortAudio bundled beside the app.

    On Linux sounddevice asks ``ctypes.util.find_library('portaudio')``, which looks only at the
    system (ldconfig cache, gcc, ld). The bundle carries ``libportaudio.so.2`` in ``_internal/``, so
    'portaudio' is answered with that file; other names go to the original. Set
    ``DESKTOP_GAN_SYSTEM_PORTAUDIO=1`` to use the system's libportaudio2 instead.
    """
    bundled = os.path.join(getattr(sys, "_MEIPASS", ""), "libportaudio.so.2")
    if not getattr(sys, "frozen", False) or not os.path.isfile(bundled):
        return
    if os.environ.get("DESKTOP_GAN_SYSTEM_PORTAUDIO") == "1":
        return
    import ctypes.util

    original = ctypes.util.find_library

    def find_library(name):
        return bundled if name == "portaudio" else original(name)

    ctypes.util.find_library = find_library


# ``-m`` targets the bundle can run (module -> function returning an exit code).
_MODULES = {
    "desktop_gan.train": ("desktop_gan.train", "main"),
    "desktop_gan": ("desktop_gan.cli", "main"),
    "desktop_gan.cli": ("desktop_gan.cli", "main"),
}


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    _use_bundled_portaudio()
    if argv[:1] == ["-m"]:
        module, rest = (argv[1] if len(argv) > 1 else ""), argv[2:]
        target = _MODULES.get(module)
        if target is None:
            print(f"desktop-gan: this bundle cannot run '-m {module}' (it runs: "
                  f"{', '.join(sorted(_MODULES))})", file=sys.stderr)
            return 2
        import importlib

        sys.argv = [sys.argv[0], *rest]
        return int(getattr(importlib.import_module(target[0]), target[1])(rest) or 0)
    from desktop_gan.cli import main as cli_main

    return int(cli_main(argv) or 0)


if __name__ == "__main__":
    sys.exit(main())
