#!/usr/bin/env bash
# Builds the Angular application of examples/angular (used by test/angular/app.test.ts):
#  1. installs its pinned npm packages from its lockfile (npm ci; skipped while node_modules
#     matches the lockfile),
#  2. installs kinto-rx into it from the packed tarball of this repository (as an app gets it
#     from the registry: dist/ must be built first),
#  3. copies the README's Angular code blocks into src/readme/, to be compiled with the app,
#  4. runs the production `ng build`; its output is kept in examples/angular/build.log (the
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
# The README's Angular code blocks (those whose first line is `// src/...ts`), compiled by ng build
# with the app (src/readme/ is in the app's tsconfig "include").
rm -rf "$app/src/readme"
node -e '
  const fs = require("fs"), path = require("path");
  const [readme, out] = process.argv.slice(1);
  const text = fs.readFileSync(readme, "utf8");
  const start = text.indexOf("### Angular: `kinto-rx/angular`");
  const section = text.slice(start, text.indexOf("\n## ", start));
  const blocks = [...section.matchAll(/```ts\n\/\/ src\/([\w./-]+\.ts)\n([\s\S]*?)```/g)];
  if (start < 0 || blocks.length === 0) throw new Error("no Angular code block found in the README");
  for (const [, file, code] of blocks) {
    fs.mkdirSync(path.dirname(path.join(out, file)), { recursive: true });
    fs.writeFileSync(path.join(out, file), code);
  }
' "$root/README.md" "$app/src/readme"

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
