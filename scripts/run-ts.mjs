// Runs a TypeScript entry point (demo, benchmarks) without a separate compile step: esbuild bundles
// it with the project's sources into a temporary CommonJS file, which node then runs.
import { build } from "esbuild";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { join } from "node:path";

const [entry, ...args] = process.argv.slice(2);
if (!entry) {
  console.error("usage: node scripts/run-ts.mjs <entry.ts> [args...]");
  process.exit(2);
}
// Inside the project, so that the bundle resolves node_modules as the sources do.
mkdirSync("node_modules/.cache", { recursive: true });
const dir = mkdtempSync(join("node_modules/.cache", "run-ts-"));
const outfile = join(dir, "entry.cjs");
await build({
  entryPoints: [entry],
  bundle: true,
  platform: "node",
  format: "cjs",
  target: "node18",
  outfile,
  packages: "external",
  sourcemap: "inline",
  logLevel: "warning",
});
const result = spawnSync(process.execPath, ["--enable-source-maps", outfile, ...args], {
  stdio: "inherit",
  env: { ...process.env, KINTO_RX_ROOT: process.cwd() },
});
rmSync(dir, { recursive: true, force: true });
process.exit(result.status ?? 1);
