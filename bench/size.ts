/**
 * Scenario 6: bundle sizes (minified, gzip -9, brotli q11) of kinto-rx's browser bundle, of
 * kinto-rx without rxjs (and without rxjs, io-ts, fp-ts), and of the peer: its published browser
 * bundle, that bundle minified by esbuild, and its HTTP client alone bundled by esbuild.
 */
import { build, transform, type Plugin } from "esbuild";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { brotliCompressSync, constants, gzipSync } from "node:zlib";

/** Sizes of one bundle, bytes. */
export interface BundleSize {
  /** What was measured. */
  readonly name: string;
  /** Minified size. */
  readonly bytes: number;
  /** gzip -9. */
  readonly gzip: number;
  /** brotli, quality 11. */
  readonly brotli: number;
  /** How it was produced. */
  readonly note: string;
}

function sizes(name: string, code: Uint8Array | string, note: string): BundleSize {
  const buffer = Buffer.from(code);
  return {
    name,
    bytes: buffer.length,
    gzip: gzipSync(buffer, { level: 9 }).length,
    brotli: brotliCompressSync(buffer, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length,
    note,
  };
}

// As build.mjs does: in the browser, fetch is the browser's own.
const browserFetch: Plugin = {
  name: "browser-fetch",
  setup(b) {
    b.onResolve({ filter: /^cross-fetch$/ }, () => ({ path: "cross-fetch", namespace: "browser-fetch" }));
    b.onLoad({ filter: /.*/, namespace: "browser-fetch" }, () => ({ contents: "export default globalThis.fetch;", loader: "js" }));
  },
};

async function bundle(root: string, entry: string, external: string[], plugins: Plugin[] = []): Promise<Uint8Array> {
  const result = await build({
    entryPoints: [join(root, entry)],
    bundle: true,
    minify: true,
    format: "esm",
    platform: "browser",
    target: "es2020",
    mainFields: ["es2015", "browser", "module", "main"],
    conditions: ["es2015"],
    external,
    plugins,
    write: false,
    logLevel: "silent",
  });
  return result.outputFiles[0].contents;
}

/** Measures every bundle; `root` is the project folder (dist/ must be built). */
export async function bundleSizes(root: string): Promise<BundleSize[]> {
  const rxMin = readFileSync(join(root, "dist/browser/kinto-rx.min.js"));
  const peerDist = join(root, "node_modules/kinto/dist/kinto.min.js");
  const peerMin = readFileSync(peerDist, "utf8");
  return [
    sizes("kinto-rx browser bundle", rxMin, "dist/browser/kinto-rx.min.js (rxjs, io-ts, fp-ts inlined)"),
    sizes("kinto-rx without rxjs", await bundle(root, "src/index.ts", ["rxjs"], [browserFetch]), "esbuild --minify, rxjs external"),
    sizes("kinto-rx without rxjs, io-ts, fp-ts", await bundle(root, "src/index.ts", ["rxjs", "io-ts", "fp-ts", "fp-ts/*", "io-ts/*"], [browserFetch]), "esbuild --minify, all dependencies external"),
    sizes("peer published bundle", peerMin, "kinto/dist/kinto.min.js as published (prettier-formatted; whole offline-first Kinto + HTTP client)"),
    sizes("peer published bundle, re-minified", (await transform(peerMin, { minify: true, target: "es2020" })).code, "the same file through esbuild --minify"),
    sizes("peer HTTP client only", await bundle(root, "node_modules/kinto/lib/http/index.js", []), "esbuild --minify of kinto/lib/http (uuid inlined)"),
  ];
}
