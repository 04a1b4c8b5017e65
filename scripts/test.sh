#!/usr/bin/env bash
# Fresh machine to a full test run: set everything up, then run the whole suite
# (Qt offscreen; the tests start and stop their own private PulseAudio server).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh test
export QT_QPA_PLATFORM=offscreen
exec .venv/bin/python -m pytest -q "$@"
