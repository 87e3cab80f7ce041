#!/usr/bin/env bash
# Installs (once) the headless Chromium that the browser test drives through playwright-core:
# Debian's `chromium` package at /usr/bin/chromium. Does nothing when it is already there.
# Set CHROMIUM_PATH to use another Chromium binary (the test reads the same variable).
set -euo pipefail
chromium="${CHROMIUM_PATH:-/usr/bin/chromium}"

if [ -x "$chromium" ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "chromium.sh: $chromium is missing; install it as root (apt-get install chromium) or set CHROMIUM_PATH." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends chromium >/dev/null
echo "chromium ready: $("$chromium" --version)"
