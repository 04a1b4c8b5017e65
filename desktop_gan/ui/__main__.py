"""``python -m desktop_gan.ui [options]``: the app alone, with its own options (see app.py)."""

from desktop_gan.ui.app import run_app

raise SystemExit(run_app())
