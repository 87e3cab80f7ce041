// Builds dist/: ESM and CommonJS builds of src/ (dependencies external), a minified browser bundle
// (global KintoClient, rxjs and io-ts inlined; cross-fetch is never imported
// statically: see defaultFetch in src/http/transport.ts), and .d.ts types (tsc).
import { build } from "esbuild";
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";

rmSync("dist", { recursive: true, force: true });

const common = { entryPoints: ["src/index.ts"], bundle: true, target: "es2020", sourcemap: true, logLevel: "warning" };
const external = ["rxjs", "io-ts", "fp-ts", "cross-fetch"];

// fp-ts and io-ts have no "exports" map: Node's ESM loader needs the file, not the folder.
const esmSubpaths = {
  name: "esm-subpaths",
  setup(b) {
    b.onResolve({ filter: /^(fp-ts|io-ts)\/lib\/[A-Za-z]+$/ }, (args) => ({ path: `${args.path}.js`, external: true }));
  },
};
// The Angular entry's imports of ../index.js: the ESM core entry, kept external.
const coreEntry = {
  name: "core-entry",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/index\.js$/ }, () => ({ path: "./index.mjs", external: true }));
  },
};

// The CLI's imports of the public API (../index): the CommonJS build, kept external.
const cliCore = {
  name: "cli-core",
  setup(b) {
    b.onResolve({ filter: /^\.\.\/index$/ }, () => ({ path: "../cjs/index.js", external: true }));
  },
};

await Promise.all([
  // Split: the capabilities the façade loads on first use (src/resources/lazy.ts) are chunks of
  // their own (dist/esm/chunks/), which an app's bundler keeps out of the initial bundle.
  build({
    ...common,
    format: "esm",
    platform: "neutral",
    mainFields: ["module", "main"],
    outdir: "dist/esm",
    entryNames: "[name]",
    chunkNames: "chunks/[name]-[hash]",
    outExtension: { ".js": ".mjs" },
    splitting: true,
    external,
    plugins: [esmSubpaths],
  }),
  build({ ...common, format: "cjs", platform: "node", outfile: "dist/cjs/index.js", external }),
  build({
    ...common,
    format: "iife",
    platform: "browser",
    globalName: "KintoClient",
    minify: true,
    outfile: "dist/browser/kinto-rx.min.js",
    conditions: ["es2015"],
    mainFields: ["es2015", "browser", "module", "main"],
    footer: { js: "KintoClient=Object.assign(KintoClient.default,KintoClient);" },
  }),
  // kinto-rx/angular (ESM only, as Angular is): the core is imported from ./index.mjs, never inlined,
  // so that `inject(KintoClient)` and `new KintoClient` are one class.
  build({
    ...common,
    entryPoints: ["src/angular/index.ts"],
    format: "esm",
    platform: "neutral",
    outfile: "dist/esm/angular.mjs",
    external: [...external, "@angular/*"],
    plugins: [coreEntry],
  }),
  // The command-line tool: one file over the CommonJS build (./../cjs/index.js) and the
  // dependencies, not a second copy of them; no source map (it would be in every app's node_modules).
  build({
    ...common,
    entryPoints: ["src/cli/main.ts"],
    format: "cjs",
    platform: "node",
    target: "node18",
    sourcemap: false,
    outfile: "dist/cli/kinto-rx.js",
    external,
    plugins: [cliCore],
    banner: { js: "#!/usr/bin/env node" },
  }),
]);
execFileSync(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.json", "--emitDeclarationOnly", "--stripInternal"], {
  stdio: "inherit",
});
esmTypes();
console.log("built dist/esm, dist/cjs, dist/browser, dist/types");

/**
 * Types of the `import` condition, which TypeScript reads as ESM (`"module": "nodenext"`): index.d.mts
 * re-exports the CommonJS-flavoured index.d.ts and declares its default export (the class, not
 * the CommonJS namespace); the Angular entry's .d.ts become .d.mts.
 */
function esmTypes() {
  writeFileSync(
    "dist/types/index.d.mts",
    'import { KintoClient } from "./index.js";\nexport * from "./index.js";\nexport default KintoClient;\n',
  );
  for (const file of readdirSync("dist/types/angular")) {
    if (!file.endsWith(".d.ts")) continue;
    const path = `dist/types/angular/${file}`;
    const text = readFileSync(path, "utf8").replace(/(from |import\()"(\.\.?\/[^"]+)\.js"/g, '$1"$2.mjs"');
    writeFileSync(path.replace(/\.d\.ts$/, ".d.mts"), text);
    rmSync(path);
  }
}
