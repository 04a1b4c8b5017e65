#!/usr/bin/env bash
# Install the Debian packages named as arguments that are not installed yet (apt-get update first;
# sudo when not root). Used by scripts/setup.sh and packaging/build_bundle.sh.
set -euo pipefail
missing=$(for p in "$@"; do dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || echo "$p"; done)
if [ -n "$missing" ]; then
  sudo=""; [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "installing Debian packages:" $missing
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi
