/**
 * The built package's types as consumers see them under `"module": "nodenext"`: an ES module
 * (default import = the class, `kinto-rx/angular`) and a CommonJS module (test/angular/nodenext/).
 * Needs dist/ (npm test builds it before jest).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";

const ROOT = resolve(__dirname, "../..");

describe("types under nodenext", () => {
  it("the ESM and CommonJS consumers type-check against dist/types", async () => {
    if (!existsSync(resolve(ROOT, "dist/types/index.d.mts"))) throw new Error("dist/ is missing: run `node build.mjs` (npm test does)");
    const tsc = resolve(ROOT, "node_modules/typescript/bin/tsc");
    const result = await promisify(execFile)(process.execPath, [tsc, "-p", "test/angular/nodenext/tsconfig.json"], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 60000,
    }).then(
      () => "",
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result).toBe("");
  });
});
