#!/usr/bin/env bash
# Fresh machine to running app: set everything up, then open desktop_gan.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh app
exec .venv/bin/desktop-gan "$@"
