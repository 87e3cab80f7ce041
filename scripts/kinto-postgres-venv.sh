#!/usr/bin/env bash
# Adds to the Kinto venv (scripts/kinto-venv.sh) what the benchmarks' multi-process Kinto on
# PostgreSQL needs (bench/postgres.ts): the `postgresql` extra of kinto (SQLAlchemy, psycopg2-binary,
# zope.sqlalchemy) and the pre-fork server gunicorn, pinned in kinto-postgres-requirements.txt.
# Used by `npm test` (the second topology) and the bench. Idempotent, with a stamp file of its own: a venv whose pins match is left
# as it is, and the pins of kinto-requirements.txt are not changed.
set -euo pipefail
here="$(cd "$(dirname "$0")/.." && pwd)"
venv="${KINTO_VENV:-$here/.venv-kinto}"
requirements="$here/scripts/kinto-postgres-requirements.txt"
stamp="$venv/.postgres-requirements"

bash "$here/scripts/kinto-venv.sh"
if [ -x "$venv/bin/gunicorn" ] && [ -f "$stamp" ] && cmp -s "$requirements" "$stamp"; then
  exit 0
fi
"$venv/bin/pip" install --quiet --disable-pip-version-check -r "$requirements" -c "$here/scripts/kinto-requirements.txt"
cp "$requirements" "$stamp"
echo "kinto venv ready for PostgreSQL: $venv"
