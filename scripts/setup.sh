#!/usr/bin/env bash
# One-time (idempotent) set-up on Debian 12 / Python 3.11: Debian packages, a venv in .venv,
# the CPU build of torch, then the project. Usage: scripts/setup.sh [app|test]
set -euo pipefail
cd "$(dirname "$0")/.."
mode="${1:-app}"

# Runtime libraries: PortAudio, libsndfile, Qt's xcb platform plugin, a font, venv support.
APP_DEBS="python3-venv libportaudio2 libsndfile1 libxcb-cursor0 libxkbcommon-x11-0 libx11-xcb1
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xfixes0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core"
# Tests: a private PulseAudio for real streams, Xvfb, and the local sources the data scripts drive
# (TTS voices, soundfonts, sox, fluidsynth).
TEST_DEBS="pulseaudio pulseaudio-utils libasound2-plugins xvfb x11-utils xdotool imagemagick
  espeak-ng flite festival festvox-kallpc16k festvox-kdlpc16k festvox-us-slt-hts
  festvox-czech-dita festvox-czech-krb festvox-czech-machac festvox-czech-ph festvox-suopuhe-lj
  festvox-suopuhe-mv festvox-italp16k festvox-itapc16k festvox-ru festvox-ca-ona-hts
  sox fluidsynth fluid-soundfont-gm musescore-general-soundfont avldrums.lv2-soundfont"

debs="$APP_DEBS"
[ "$mode" = test ] && debs="$APP_DEBS $TEST_DEBS"
bash scripts/install_debs.sh $debs

py="$(command -v python3.11 || command -v python3)"
[ -x .venv/bin/python ] || "$py" -m venv .venv
pip=".venv/bin/python -m pip"
$pip install -q --upgrade pip >/dev/null
# torch first, pinned to the CPU build this machine provides; the project's own range accepts it,
# so pip never goes looking for a (multi-GB) CUDA build. On a CUDA machine install the CUDA wheel
# of torch here instead (README: "Running on a GPU").
.venv/bin/python -c "import torch" 2>/dev/null || $pip install -q "torch==2.13.0"
if [ "$mode" = test ]; then
  $pip install -q -e ".[test]"
else
  $pip install -q -e ".[train]"
fi
