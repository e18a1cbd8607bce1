#!/usr/bin/env bash
# Installs Debian's chromium (for the HTML drift report test, driven by playwright-core) when it
# is missing. Needs root (CI containers) or passwordless sudo.
set -euo pipefail
CHROMIUM=${VERTEXCTL_CHROMIUM:-/usr/bin/chromium}
if [ -x "$CHROMIUM" ]; then exit 0; fi
if [ "$(id -u)" -eq 0 ]; then SUDO=""; elif command -v sudo >/dev/null && sudo -n true 2>/dev/null; then SUDO="sudo -n"; else
  echo "chromium is not installed at $CHROMIUM and installing it needs root: run 'apt-get install -y chromium' as root" >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends chromium fonts-dejavu-core >/dev/null
[ -x "$CHROMIUM" ] || { echo "chromium was installed, but $CHROMIUM does not exist" >&2; exit 1; }
