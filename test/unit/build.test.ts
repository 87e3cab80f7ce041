/**
 * The built entry points (npm test builds dist/ before jest): CommonJS and ESM both import through
 * the package's "exports", and the browser bundle defines the global KintoClient.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { runInNewContext } from "node:vm";

const ROOT = resolve(__dirname, "../..");
const node = (args: string[]) => execFileSync(process.execPath, args, { cwd: ROOT, encoding: "utf8" }).trim();

describe("built entry points", () => {
  beforeAll(() => {
    if (!existsSync(resolve(ROOT, "dist/cjs/index.js"))) throw new Error("dist/ is missing: run `node build.mjs` (npm test does)");
  });

  it("require('kinto-rx') gives the CommonJS build", () => {
    const out = node([
      "-e",
      "const k = require('kinto-rx'); const c = new k.KintoClient('http://127.0.0.1:1/v1'); console.log(typeof k.default, c.remote, typeof k.PayloadValidationError)",
    ]);
    expect(out).toBe("function http://127.0.0.1:1/v1 function");
  });

  it("import 'kinto-rx' gives the ESM build", () => {
    const out = node([
      "--input-type=module",
      "-e",
      "import KintoClient, { KintoHttpError } from 'kinto-rx'; console.log(new KintoClient('http://127.0.0.1:1/v1/').remote, typeof KintoHttpError)",
    ]);
    expect(out).toBe("http://127.0.0.1:1/v1 function");
  });

  it("the browser bundle defines a global KintoClient constructor with the named exports", () => {
    const code = readFileSync(resolve(ROOT, "dist/browser/kinto-rx.min.js"), "utf8");
    const sandbox: Record<string, any> = {
      fetch: () => Promise.reject(new Error("no network")),
      URL,
      AbortController,
      Headers,
      setTimeout,
      clearTimeout,
    };
    sandbox.globalThis = sandbox;
    runInNewContext(code, sandbox);
    const client = new sandbox.KintoClient("http://127.0.0.1:1/v1");
    expect(client.remote).toBe("http://127.0.0.1:1/v1");
    expect(typeof sandbox.KintoClient.KintoClient).toBe("function");
  });

  it("ships type declarations", () => {
    expect(readFileSync(resolve(ROOT, "dist/types/index.d.ts"), "utf8")).toContain("KintoClient");
  });
});
