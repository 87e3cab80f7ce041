/**
 * Which fetch the client uses by default: the platform's own where there is one, and cross-fetch,
 * loaded on the first request, only where there is none. Run against the built dist/ (npm test
 * builds it first) in child Node processes started with `--no-experimental-fetch` (no global fetch,
 * as in a runtime without one), talking to the real Kinto server.
 */
import { execFile } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { kintoUrl } from "../helpers";

const ROOT = resolve(__dirname, "../..");
const run = promisify(execFile);

/** Runs `code` in a Node without global fetch; returns what it printed. */
async function withoutGlobalFetch(code: string, esm: boolean): Promise<string> {
  const args = ["--no-experimental-fetch", ...(esm ? ["--input-type=module"] : []), "-e", code];
  const { stdout } = await run(process.execPath, args, {
    cwd: ROOT,
    encoding: "utf8",
    timeout: 20000,
    env: { ...process.env, KINTO_URL: kintoUrl() },
  });
  return stdout.trim();
}

const PROBE = `
  if (typeof globalThis.fetch !== "undefined") throw new Error("this Node still has a global fetch");
  const client = new KintoClient(process.env.KINTO_URL);
  client.fetchHTTPApiVersion().subscribe({ next: (v) => console.log("api " + v), error: (e) => { console.error(e); process.exit(1); } });`;

describe("default fetch", () => {
  beforeAll(() => {
    if (!existsSync(resolve(ROOT, "dist/esm/index.mjs"))) throw new Error("dist/ is missing: run `node build.mjs` (npm test does)");
  });

  it("CommonJS build without a global fetch loads cross-fetch and talks to Kinto", async () => {
    expect(await withoutGlobalFetch(`const { KintoClient } = require("kinto-rx");${PROBE}`, false)).toMatch(/^api 1\.\d+$/);
  });

  it("ESM build without a global fetch loads cross-fetch and talks to Kinto", async () => {
    expect(await withoutGlobalFetch(`import { KintoClient } from "kinto-rx";${PROBE}`, true)).toMatch(/^api 1\.\d+$/);
  });

  it("no build imports cross-fetch statically, so that bundlers leave it out", () => {
    for (const file of ["dist/esm/index.mjs", "dist/cjs/index.js", "dist/browser/kinto-rx.min.js"]) {
      const code = readFileSync(resolve(ROOT, file), "utf8");
      expect(code).not.toMatch(/from\s*["']cross-fetch["']|require\(\s*["']cross-fetch["']\s*\)|import\(\s*["']cross-fetch["']\s*\)/);
    }
  });
});
