#!/usr/bin/env bash
# Creates (once) the Python virtual environment that holds the real Kinto server used by the tests,
# the benchmarks and the demo. Idempotent: a venv whose pinned versions match is left as it is.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${KINTO_VENV:-$here/.venv-kinto}"
requirements="$here/scripts/kinto-requirements.txt"
stamp="$venv/.requirements"

if [ -x "$venv/bin/kinto" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi
python3 -m venv "$venv"
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements"
cp "$requirements" "$stamp"
echo "kinto venv ready: $venv"
