#!/usr/bin/env bash
# Builds the Angular application of examples/angular (used by test/angular/app.test.ts):
#  1. installs its pinned npm packages from its lockfile (npm ci; skipped while node_modules
#     matches the lockfile),
#  2. installs kinto-rx into it from the packed tarball of this repository (as an app gets it
#     from the registry: dist/ must be built first),
#  3. runs the production `ng build`; its output is kept in examples/angular/build.log (the
#     test asserts it has no warning).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
app="$root/examples/angular"
export NG_CLI_ANALYTICS=false

if ! cmp -s "$app/package-lock.json" "$app/node_modules/.kinto-rx-lock" 2>/dev/null; then
  (cd "$app" && npm ci --no-audit --no-fund --loglevel=error)
  cp "$app/package-lock.json" "$app/node_modules/.kinto-rx-lock"
fi

[ -f "$root/dist/esm/index.mjs" ] || { echo "angular-app.sh: dist/ is missing: run npm run build first" >&2; exit 1; }
pack="$(mktemp -d)"
trap 'rm -rf "$pack"' EXIT
tarball="$(cd "$root" && npm pack --silent --pack-destination "$pack" | tail -1)"
rm -rf "$app/node_modules/kinto-rx"
mkdir -p "$app/node_modules/kinto-rx"
tar -xzf "$pack/$tarball" -C "$app/node_modules/kinto-rx" --strip-components=1

start=$(date +%s)
if ! (cd "$app" && npx ng build) >"$app/build.log" 2>&1; then
  cat "$app/build.log" >&2
  echo "angular-app.sh: ng build failed" >&2
  exit 1
fi
cat "$app/build.log"
echo "angular-app.sh: ng build took $(( $(date +%s) - start )) s"
