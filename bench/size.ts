/**
 * Scenario 6: bundle sizes (minified, gzip -9, brotli q11) of kinto-rx's browser bundle, of
 * kinto-rx without rxjs (and without rxjs, io-ts, fp-ts), and of the peer: its published browser
 * bundle, that bundle minified by esbuild, and its HTTP client alone bundled by esbuild; what an
 * app that lists and creates records ships initially (code splitting on: the capabilities the
 * façade loads on first use are chunks of their own), and the `npm pack` tarball.
 */
import { build, transform, type Metafile, type Plugin } from "esbuild";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

/**
 * The outputs of an esbuild metafile that load with `entry`: it and what it imports statically,
 * transitively (dynamic imports are the chunks loaded on first use; external imports are not outputs).
 */
export function initialOutputs(outputs: Metafile["outputs"], entry: string): Set<string> {
  const initial = new Set<string>();
  for (const stack = [entry]; stack.length > 0;) {
    const key = stack.pop()!;
    if (initial.has(key) || !outputs[key]) continue;
    initial.add(key);
    for (const imported of outputs[key].imports) if (imported.kind === "import-statement") stack.push(imported.path);
  }
  return initial;
}

/** gzip and brotli of several files, each compressed on its own (as a server sends them), summed. */
export function sizesOfFiles(name: string, files: readonly Uint8Array[], note: string): BundleSize {
  const each = files.map((file) => sizes(name, file, note));
  const sum = (key: "bytes" | "gzip" | "brotli") => each.reduce((total, size) => total + size[key], 0);
  return { name, bytes: sum("bytes"), gzip: sum("gzip"), brotli: sum("brotli"), note };
}

/** An app's entry: lists and creates records, nothing else. */
const LIST_AND_CREATE = `
import { KintoClient } from "./src/index";
const tasks = new KintoClient("https://kinto.example.com/v1").bucket("todo").collection("tasks");
tasks.listRecords({ pages: Infinity }).subscribe((page) => console.log(page.data));
tasks.createRecord({ title: "new" }).subscribe(({ data }) => console.log(data.id));
`;

/**
 * The app of {@link LIST_AND_CREATE} bundled as an app's bundler does (esbuild --bundle --minify
 * --splitting, ESM, rxjs external): the initial chunks (the entry and what it imports statically)
 * and the chunks loaded on first use.
 */
async function listAndCreate(root: string): Promise<{ initial: Uint8Array[]; later: Uint8Array[] }> {
  const outdir = mkdtempSync(join(tmpdir(), "kinto-rx-size-"));
  try {
    const result = await build({
      stdin: { contents: LIST_AND_CREATE, resolveDir: root, sourcefile: "app.ts", loader: "ts" },
      bundle: true,
      minify: true,
      splitting: true,
      format: "esm",
      platform: "browser",
      target: "es2020",
      mainFields: ["es2015", "browser", "module", "main"],
      conditions: ["es2015"],
      external: ["rxjs"],
      plugins: [browserFetch],
      outdir,
      metafile: true,
      write: false,
      logLevel: "silent",
    });
    const outputs: Metafile["outputs"] = result.metafile.outputs;
    const file = (key: string) => result.outputFiles.find((f) => f.path.endsWith(key.slice(key.lastIndexOf("/"))))!.contents;
    const entry = Object.keys(outputs).find((key) => outputs[key].entryPoint?.endsWith("app.ts"))!;
    const initial = initialOutputs(outputs, entry);
    const js = Object.keys(outputs).filter((key) => key.endsWith(".js"));
    return { initial: js.filter((key) => initial.has(key)).map(file), later: js.filter((key) => !initial.has(key)).map(file) };
  } finally {
    rmSync(outdir, { recursive: true, force: true });
  }
}

/** `npm pack` of the project (dist/ as built): the tarball's size (gzip) and its unpacked size. */
function packed(root: string): BundleSize {
  const [pack] = JSON.parse(
    execFileSync("npm", ["pack", "--dry-run", "--json", "--ignore-scripts"], {
      cwd: root,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    }),
  ) as [{ size: number; unpackedSize: number; entryCount: number }];
  return {
    name: "npm pack tarball",
    bytes: pack.unpackedSize,
    gzip: pack.size,
    brotli: Number.NaN,
    note: `npm pack --dry-run: ${pack.entryCount} files; "Minified" is the unpacked size, "gzip" the .tgz`,
  };
}

/** Measures every bundle; `root` is the project folder (dist/ must be built). */
export async function bundleSizes(root: string): Promise<BundleSize[]> {
  const rxMin = readFileSync(join(root, "dist/browser/kinto-rx.min.js"));
  const peerDist = join(root, "node_modules/kinto/dist/kinto.min.js");
  const peerMin = readFileSync(peerDist, "utf8");
  const peerHttp = sizes(
    "peer HTTP client only",
    await bundle(root, "node_modules/kinto/lib/http/index.js", []),
    "esbuild --minify of kinto/lib/http (uuid inlined)",
  );
  const app = await listAndCreate(root);
  const ratio = (size: BundleSize) => `${(size.gzip / peerHttp.gzip).toFixed(2)}× the peer HTTP client's gzip`;
  const initial = sizesOfFiles("app that lists and creates records: initial chunks", app.initial, "");
  const later = sizesOfFiles("same app: chunks loaded on first use", app.later, "");
  return [
    sizes("kinto-rx browser bundle", rxMin, "dist/browser/kinto-rx.min.js (rxjs, io-ts, fp-ts inlined)"),
    sizes("kinto-rx without rxjs", await bundle(root, "src/index.ts", ["rxjs"], [browserFetch]), "esbuild --minify, rxjs external"),
    sizes(
      "kinto-rx without rxjs, io-ts, fp-ts",
      await bundle(root, "src/index.ts", ["rxjs", "io-ts", "fp-ts", "fp-ts/*", "io-ts/*"], [browserFetch]),
      "esbuild --minify, all dependencies external",
    ),
    sizes(
      "peer published bundle",
      peerMin,
      "kinto/dist/kinto.min.js as published (prettier-formatted; whole offline-first Kinto + HTTP client)",
    ),
    sizes(
      "peer published bundle, re-minified",
      (await transform(peerMin, { minify: true, target: "es2020" })).code,
      "the same file through esbuild --minify",
    ),
    peerHttp,
    {
      ...initial,
      note: `${app.initial.length} file(s), each gzipped, summed (kinto-rx, io-ts, fp-ts; rxjs external): esbuild --bundle --minify --splitting of an entry calling listRecords and createRecord; ${ratio(initial)}`,
    },
    {
      ...later,
      note: `${app.later.length} file(s): feed, uploads, snapshots, changesets, attachments, accounts, batches (never downloaded by this app)`,
    },
    packed(root),
  ];
}
