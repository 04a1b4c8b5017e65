#!/usr/bin/env bash
# Build the standalone one-folder bundle: packaging/dist/desktop-gan/desktop-gan (PyInstaller).
#
#   bash packaging/build_bundle.sh            # build (reuses packaging/.build-venv if its inputs match)
#   bash packaging/build_bundle.sh --fresh    # throw the build venv away first
#   bash packaging/build_bundle.sh --no-trim  # keep everything PyInstaller collects (to measure trimming)
#
# Steps: Debian build deps if missing; a build venv of its own (never .venv) with torch==2.13.0 FIRST
# (the local CPU build: any other torch spec would pull a multi-GB CUDA build), then the project
# non-editable without its test/train extras, then the pinned PyInstaller; then the spec. The last
# line printed is the bundle's path and size. For a CUDA bundle see packaging/README.md.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(dirname "$here")"
cd "$root"

fresh=0
export DESKTOP_GAN_NO_TRIM=0
for a in "$@"; do
  case "$a" in
    --fresh) fresh=1 ;;
    --no-trim) DESKTOP_GAN_NO_TRIM=1 ;;
    -h|--help) sed -n '2,11p' "$0"; exit 0 ;;
    *) echo "build_bundle.sh: unknown option $a" >&2; exit 2 ;;
  esac
done
# CUDA bundles (packaging/README.md) set both, e.g. DESKTOP_GAN_TORCH_INDEX=https://download.pytorch.org/whl/cu128
TORCH_SPEC="${DESKTOP_GAN_TORCH_SPEC:-torch==2.13.0}"
TORCH_INDEX="${DESKTOP_GAN_TORCH_INDEX:-}"
venv="$here/.build-venv"

# --- Debian packages: binutils (PyInstaller reads ELF headers with objdump), PortAudio (bundled),
# python3-venv, and the X/Qt runtime libraries so the built app can be tried on this machine.
debs="binutils python3-venv libportaudio2 libsndfile1 libxcb-cursor0 libxkbcommon-x11-0 libx11-xcb1
  libxcb-icccm4 libxcb-image0 libxcb-keysyms1 libxcb-randr0 libxcb-render-util0 libxcb-shape0
  libxcb-xfixes0 libxcb-xkb1 libegl1 libgl1 libfontconfig1 libdbus-1-3 libglib2.0-0 fonts-dejavu-core"
py="${PYTHON:-$(command -v python3.11 || command -v python3)}"
# PyInstaller needs the interpreter's shared library; Debian's own python3.11 has it in libpython3.11.
if [ "$("$py" -c 'import sysconfig; print(sysconfig.get_config_var("Py_ENABLE_SHARED") or 0)')" != 1 ]; then
  debs="$debs libpython3.11"
fi
bash "$root/scripts/install_debs.sh" $debs

# --- build venv: reused only while torch spec, Python and build requirements are unchanged.
stamp="$( { echo "$TORCH_SPEC $TORCH_INDEX"; "$py" -VV; cat "$here/requirements-bundle.txt"; } | sha256sum | cut -c1-16)"
if [ "$fresh" = 1 ] || [ ! -f "$venv/.stamp" ] || [ "$(cat "$venv/.stamp")" != "$stamp" ]; then
  echo "== creating build venv $venv"
  rm -rf "$venv"
  "$py" -m venv "$venv"
  "$venv/bin/python" -m pip install -q --upgrade pip
  t0=$SECONDS
  "$venv/bin/python" -m pip install -q "$TORCH_SPEC" ${TORCH_INDEX:+--index-url "$TORCH_INDEX"}
  echo "   $TORCH_SPEC installed in $((SECONDS - t0)) s"
  "$venv/bin/python" -m pip install -q -r "$here/requirements-bundle.txt"
  echo "$stamp" > "$venv/.stamp"
fi
pip=("$venv/bin/python" -m pip)
# The project itself, non-editable and without extras, always from the current tree. torch is
# already there and satisfies the project's range, so pip does not touch it. Built from a copy, so
# setuptools leaves no build/ or egg-info in the checkout.
echo "== installing the project (no extras)"
src="$(mktemp -d)"
trap 'rm -rf "$src"' EXIT
cp -r "$root/pyproject.toml" "$root/README.md" "$root/desktop_gan" "$src/"
find "$src" -name __pycache__ -prune -exec rm -rf {} +
"${pip[@]}" install -q "$src"                                 # its dependencies, if missing
"${pip[@]}" install -q --no-deps --force-reinstall "$src"     # this tree's code, always
"$venv/bin/python" - <<'EOF'
import importlib.metadata as md, sys
import torch
bad = []
for name in ("pytest", "hypothesis", "pyroomacoustics", "pesq", "pystoi", "pytest-qt"):
    try:
        md.version(name)
        bad.append(name)
    except md.PackageNotFoundError:
        pass
if bad:
    sys.exit(f"build venv has test/train-only packages: {bad}; rerun with --fresh")
dist = md.distribution("desktop_gan")
if any(f.name == "direct_url.json" and '"editable": true' in f.read_text() for f in dist.files or []):
    sys.exit("desktop_gan is installed editable in the build venv; rerun with --fresh")
print(f"   torch {torch.__version__} (cuda: {torch.version.cuda}), desktop_gan {dist.version}")
EOF

# --- PyInstaller
echo "== PyInstaller (trim: $([ "$DESKTOP_GAN_NO_TRIM" = 1 ] && echo off || echo on))"
rm -rf "$here/dist/desktop-gan"
t0=$SECONDS
"$venv/bin/pyinstaller" --noconfirm --clean --log-level WARN \
  --distpath "$here/dist" --workpath "$here/build" "$here/desktop_gan.spec"
echo "   PyInstaller took $((SECONDS - t0)) s"

exe="$here/dist/desktop-gan/desktop-gan"
[ -x "$exe" ] || { echo "build_bundle.sh: $exe was not produced" >&2; exit 1; }
for f in resources/models/enhancer.safetensors resources/models/drums.safetensors \
         resources/models/patterns.safetensors resources/patterns/corpus.json libportaudio.so.2; do
  [ -e "$here/dist/desktop-gan/_internal/$f" ] || { echo "build_bundle.sh: bundle lacks $f" >&2; exit 1; }
done
cp "$here/desktop-gan.desktop" "$here/icon.png" "$here/icon.svg" "$here/dist/desktop-gan/" 2>/dev/null || true
"$exe" --version
echo "bundle: $exe ($(du -sh "$here/dist/desktop-gan" | cut -f1))"
