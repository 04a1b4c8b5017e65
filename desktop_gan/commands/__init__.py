"""CLI subcommands. Each module has ``add_parser(subparsers)`` and ``run(args) -> int``.

Modules import their heavy dependencies (torch, models) inside ``run`` so ``--help`` stays fast.
"""
