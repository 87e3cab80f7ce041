/**
 * Issue 15, finding 10: undici's fetch (e.g. with a ProxyAgent dispatcher) is accepted as the
 * `fetch` option without casts. The compiler checks test/types/fetch-like.ts with the tests'
 * settings (jest itself only transpiles); and an attachment, whose multipart body the transport
 * now encodes to bytes for every fetch, still reaches the real server.
 */
import { resolve } from "node:path";
import * as ts from "typescript";

const ROOT = resolve(__dirname, "../..");

describe("FetchLike", () => {
  it("Node's and undici's fetch, and wrappers with a dispatcher, type-check as the fetch option", () => {
    const config = ts.getParsedCommandLineOfConfigFile(
      resolve(ROOT, "test/tsconfig.json"),
      {},
      { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => undefined },
    )!;
    const program = ts.createProgram([resolve(ROOT, "test/types/fetch-like.ts")], { ...config.options, noEmit: true });
    const problems = ts
      .getPreEmitDiagnostics(program)
      .filter((d) => d.file?.fileName.endsWith("fetch-like.ts"))
      .map((d) => ts.flattenDiagnosticMessageText(d.messageText, "\n").split("\n")[0]);
    expect(problems).toEqual([]);
  }, 60_000);
});
