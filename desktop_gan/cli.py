"""``desktop-gan``: no arguments opens the app; subcommands mirror it for scripting.

Each subcommand lives in ``desktop_gan/commands/<name>.py`` with ``add_parser`` and ``run``; those
modules import only argparse at module level, so ``--help`` never pays for torch or Qt.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from desktop_gan import __version__

SUBCOMMANDS = ("enhance", "generate", "oneshots", "train", "bench")

def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="desktop-gan",
        description="Desktop audio workstation with GAN-trained models. "
        "Run without arguments to open the app.",
    )
    parser.add_argument("--version", action="version", version=f"desktop_gan {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in SUBCOMMANDS:
        try:
            module = importlib.import_module(f"desktop_gan.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"desktop_gan.commands.{name}":
                raise
            continue
        p = module.add_parser(sub)
        p.set_defaults(_run=module.run)
    return parser

def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or not (argv[0] in SUBCOMMANDS or argv[0] in ("-h", "--help", "--version")):
        # No subcommand: the app, with its own options and files to open.
        from desktop_gan.ui.app import run_app

        return run_app(argv)
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # argparse reports usage errors with exit 2 itself
        return int(exc.code or 0)
    if getattr(args, "_run", None) is None:
        parser.print_help()
        return 0
    return int(args._run(args) or 0)
