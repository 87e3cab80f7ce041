#!/usr/bin/env bash
# Installs (once) the PostgreSQL server binaries of the tests' production topology
# (test/server/kinto-postgres.ts): Debian's `postgresql` package, /usr/lib/postgresql/N/bin.
# Does nothing when initdb and postgres are already there (on PATH or in /usr/lib/postgresql).
# The package's own cluster service is not used (each test run makes a throwaway cluster).
set -euo pipefail
if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then exit 0; fi
for bin in /usr/lib/postgresql/*/bin; do
  if [ -x "$bin/initdb" ] && [ -x "$bin/postgres" ]; then exit 0; fi
done
if [ "$(id -u)" -ne 0 ]; then
  echo "postgres.sh: PostgreSQL server binaries are missing; install them as root (apt-get install postgresql)." >&2
  exit 1
fi
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
echo "postgresql ready: $(ls -d /usr/lib/postgresql/*/bin | tail -1)"
