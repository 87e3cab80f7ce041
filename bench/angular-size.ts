/**
 * Scenario 7: what a Kinto client adds to an Angular application's production build. The same
 * small standalone, zoneless app (a list of tasks with `@for` and a form that creates one) is built
 * three times with the production `ng build` of examples/angular (its pinned Angular, kinto-rx from
 * the packed tarball, installed by scripts/angular-app.sh when missing):
 * - with no Kinto client: the app reads and writes Kinto through Angular's `HttpClient` itself;
 * - with `kinto-rx/angular` (`provideKintoClient`, `listRecords`, `createRecord`);
 * - with the peer's HTTP client (the `kinto` package's `lib/http`, Promises wrapped with `from`).
 * Every variant provides `HttpClient`, so the differences are the client libraries (with what
 * they pull in: io-ts, fp-ts and the rxjs operators Angular itself does not use). The initial
 * chunks are the ones the entry imports statically (esbuild metafile of `ng build --stats-json`),
 * each compressed on its own and summed, as scenario 6 does.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Metafile } from "esbuild";
import { initialOutputs, sizesOfFiles, type BundleSize } from "./size";

/** The variants of the app: the imports, the client's providers, the list and the create. */
const VARIANTS = {
  none: {
    imports: `import { HttpClient } from "@angular/common/http";\nimport { map } from "rxjs";`,
    providers: "",
    fields: `
  private readonly http = inject(HttpClient);
  readonly tasks$ = this.http.get<{ data: Task[] }>(RECORDS).pipe(map((page) => page.data));
  add(title: string): void {
    this.http.post(RECORDS, { data: { title } }).subscribe();
  }`,
  },
  "kinto-rx": {
    imports: `import { KintoClient, provideKintoClient } from "kinto-rx/angular";\nimport { map } from "rxjs";`,
    providers: "provideKintoClient(REMOTE),",
    fields: `
  private readonly tasks = inject(KintoClient).bucket("todo").collection("tasks");
  readonly tasks$ = this.tasks.listRecords().pipe(map((page) => page.data as unknown as Task[]));
  add(title: string): void {
    this.tasks.createRecord({ title }).subscribe();
  }`,
  },
  peer: {
    imports: `import PeerClient from "kinto/lib/http";\nimport { from, map } from "rxjs";`,
    providers: "",
    fields: `
  private readonly tasks = new PeerClient(REMOTE).bucket("todo").collection("tasks");
  readonly tasks$ = from(this.tasks.listRecords()).pipe(map((page) => page.data as unknown as Task[]));
  add(title: string): void {
    void this.tasks.createRecord({ title });
  }`,
  },
} as const;

/** The variant names. */
export type AngularVariant = keyof typeof VARIANTS;

function main(variant: AngularVariant): string {
  const { imports, providers, fields } = VARIANTS[variant];
  return `import { AsyncPipe } from "@angular/common";
import { provideHttpClient } from "@angular/common/http";
import { Component, inject, provideZonelessChangeDetection } from "@angular/core";
import { bootstrapApplication } from "@angular/platform-browser";
${imports}

const REMOTE = "http://127.0.0.1:8888/v1";
const RECORDS = REMOTE + "/buckets/todo/collections/tasks/records";
interface Task {
  id: string;
  title: string;
}

@Component({
  selector: "app-root",
  imports: [AsyncPipe],
  template: \`
    <ul>
      @for (task of tasks$ | async; track task.id) {
        <li>{{ task.title }}</li>
      }
    </ul>
    <form (submit)="$event.preventDefault(); add(title.value)"><input #title /><button>Add</button></form>
  \`,
})
class App {${fields}
}

void RECORDS;
bootstrapApplication(App, { providers: [provideZonelessChangeDetection(), provideHttpClient(), ${providers}] }).catch(console.error);
`;
}

const ANGULAR_JSON = {
  version: 1,
  cli: { analytics: false, packageManager: "npm" },
  projects: {
    size: {
      projectType: "application",
      root: "",
      sourceRoot: "src",
      architect: {
        build: {
          builder: "@angular/build:application",
          options: {
            browser: "src/main.ts",
            index: "src/index.html",
            tsConfig: "tsconfig.json",
            outputPath: "dist",
            optimization: true,
            outputHashing: "none",
            sourceMap: false,
            statsJson: true,
          },
        },
      },
    },
  },
};

/** One production build of a variant: the initial chunks' sizes and what `ng build` warned. */
interface Built {
  readonly bytes: number;
  readonly gzip: number;
  readonly brotli: number;
  readonly files: number;
  readonly warnings: number;
  /** Minified bytes of the initial files by package (kinto-rx, io-ts, fp-ts, rxjs, kinto, other). */
  readonly packages: Record<string, number>;
}

/** The package an input of the metafile belongs to (the app's own files are "other"). */
function packageOf(input: string): string {
  const match = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input);
  return match && ["kinto-rx", "io-ts", "fp-ts", "rxjs", "kinto", "uuid"].includes(match[1]) ? match[1] : "other";
}

function buildVariant(app: string, variant: AngularVariant): Built {
  // Inside examples/angular, so that the app's node_modules (Angular, kinto-rx) and the project's
  // (the peer) resolve as they would for an app.
  const dir = mkdtempSync(join(app, `.size-${variant}-`));
  try {
    mkdirSync(join(dir, "src"));
    const tsconfig = JSON.parse(readFileSync(join(app, "tsconfig.json"), "utf8")) as Record<string, unknown>;
    writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ ...tsconfig, files: ["src/main.ts"], include: [] }));
    writeFileSync(join(dir, "angular.json"), JSON.stringify(ANGULAR_JSON));
    writeFileSync(
      join(dir, "src/index.html"),
      "<!doctype html><html><head><base href='/'></head><body><app-root></app-root></body></html>",
    );
    writeFileSync(join(dir, "src/main.ts"), main(variant));
    const log = execFileSync(join(app, "node_modules/.bin/ng"), ["build"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, NG_CLI_ANALYTICS: "false", NO_COLOR: "1" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const { outputs } = JSON.parse(readFileSync(join(dir, "dist/stats.json"), "utf8")) as Metafile;
    const entries = Object.keys(outputs).filter((key) => /src\/main\.ts$/.test(outputs[key].entryPoint ?? ""));
    if (entries.length !== 1) throw new Error(`angular-size: ${variant}: no single entry chunk in stats.json`);
    const initial = initialOutputs(outputs, entries[0]);
    const packages: Record<string, number> = {};
    const files = [...initial].map((key) => {
      for (const [input, { bytesInOutput }] of Object.entries(outputs[key].inputs))
        packages[packageOf(input)] = (packages[packageOf(input)] ?? 0) + bytesInOutput;
      const name = key.slice(key.lastIndexOf("/") + 1);
      const file = [join(dir, "dist/browser", name), join(dir, key)].find((f) => existsSync(f));
      if (!file) throw new Error(`angular-size: ${variant}: ${key} not found in dist/`);
      return readFileSync(file);
    });
    const { bytes, gzip, brotli } = sizesOfFiles(variant, files, "");
    return { bytes, gzip, brotli, files: files.length, packages, warnings: (log.match(/WARNING|▲ \[WARNING\]/g) ?? []).length };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Builds the three variants (installing examples/angular first, as `npm run angular:build` does) and
 * returns their initial sizes, and the additions of kinto-rx and of the peer over the app without
 * a client.
 */
export function angularBundleCost(root: string): BundleSize[] {
  const app = join(root, "examples/angular");
  // The app's packages and kinto-rx's tarball, as `npm test` installs them (dist/ is built by `npm run bench`).
  if (!existsSync(join(app, "node_modules/kinto-rx/package.json")))
    execFileSync("bash", [join(root, "scripts/angular-app.sh")], { cwd: root, stdio: ["ignore", "ignore", "inherit"] });
  const built = Object.fromEntries((Object.keys(VARIANTS) as AngularVariant[]).map((v) => [v, buildVariant(app, v)])) as Record<
    AngularVariant,
    Built
  >;
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const base = built.none;
  const added = (v: AngularVariant) => ({ bytes: built[v].bytes - base.bytes, gzip: built[v].gzip - base.gzip });
  const rx = added("kinto-rx");
  const peer = added("peer");
  // What each package adds over the app without a client, minified (rxjs: the operators Angular does not use itself).
  const parts = (v: AngularVariant) =>
    Object.entries(built[v].packages)
      .map(([name, size]) => [name, size - (base.packages[name] ?? 0)] as const)
      .filter(([, size]) => size >= 100)
      .sort((a, b) => b[1] - a[1])
      .map(([name, size]) => `${name} ${kb(size)}`)
      .join(", ");
  const row = (name: string, v: AngularVariant, note: string): BundleSize => ({
    name,
    bytes: built[v].bytes,
    gzip: built[v].gzip,
    brotli: built[v].brotli,
    note: `${built[v].files} initial file(s), each gzipped, summed; ng build warnings: ${built[v].warnings}. ${note}`,
  });
  return [
    row("Angular app, no Kinto client (HttpClient)", "none", "production ng build of a zoneless list-and-create app"),
    row(
      "Angular app with kinto-rx/angular",
      "kinto-rx",
      `adds ${kb(rx.bytes)} minified, ${kb(rx.gzip)} gzip: ${(rx.gzip / peer.gzip).toFixed(2)}× what the peer adds (minified: ${parts("kinto-rx")})`,
    ),
    row(
      "Angular app with the peer's HTTP client",
      "peer",
      `adds ${kb(peer.bytes)} minified, ${kb(peer.gzip)} gzip (minified: ${parts("peer")})`,
    ),
  ];
}
