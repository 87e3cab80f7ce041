/**
 * kinto-rx in a real browser (headless Chromium driven by playwright-core), against the real Kinto
 * server, cross-origin (the pages are served from another port: Kinto's CORS is what lets them in).
 * Two pages run the same script (app.js): one loads the minified bundle (global KintoClient), the
 * other imports the ESM build, dist/esm/index.mjs as shipped, its bare imports (rxjs, io-ts,
 * fp-ts, cross-fetch) resolved by an import map to ESM files that esbuild makes from node_modules.
 * Each page creates a bucket, a collection and 12 records, lists them (two pages of 10), then
 * shows the live feed while this test changes the collection through the server directly.
 * Needs Chromium (`npm run browser:install`, or CHROMIUM_PATH).
 */
import { build } from "esbuild";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { resolve } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { launchChromium, requireChromium } from "../chromium";
import { AUTH, kintoUrl, raw, uniqueName } from "../helpers";

const ROOT = resolve(__dirname, "../..");

/** The ESM files that the import map points the ESM build's bare imports to. */
const DEPENDENCIES: Record<string, { file: string; contents: string }> = {
  rxjs: { file: "rxjs.mjs", contents: `export * from "rxjs";` },
  "io-ts": { file: "io-ts.mjs", contents: `export * from "io-ts";` },
  "fp-ts/lib/Either.js": { file: "fp-ts-either.mjs", contents: `export * from "fp-ts/es6/Either.js";` },
  "cross-fetch": { file: "cross-fetch.mjs", contents: `export { default } from "cross-fetch";` },
};

const head = `<meta charset="utf-8"><link rel="icon" href="data:,"><title>kinto-rx</title>`;
const body = `<h1>Tasks</h1><p id="status">loading</p><p id="error"></p><p id="feed-error"></p>
<p>pages: <span id="pages"></span>, total: <span id="total"></span></p>
<ul id="tasks"></ul><h2>Live changes</h2><ol id="changes"></ol>`;
const PAGES: Record<string, string> = {
  "/bundle.html": `<!doctype html><html><head>${head}<script src="/kinto-rx.min.js"></script><script src="/app.js"></script></head>
<body>${body}<script>kintoDemo(KintoClient, window.KINTO_DEMO);</script></body></html>`,
  "/esm.html": `<!doctype html><html><head>${head}
<script type="importmap">${JSON.stringify({ imports: Object.fromEntries(Object.entries(DEPENDENCIES).map(([name, d]) => [name, `/deps/${d.file}`])) })}</script>
<script src="/app.js"></script></head>
<body>${body}<script type="module">import * as kinto from "/esm/index.mjs"; kintoDemo(kinto, window.KINTO_DEMO);</script></body></html>`,
};

/** Serves the pages, app.js, the built files and the dependency bundles on 127.0.0.1. */
async function startPageServer(): Promise<{ server: Server; origin: string }> {
  const files: Record<string, string> = {
    "/app.js": readFileSync(resolve(__dirname, "app.js"), "utf8"),
    "/kinto-rx.min.js": readFileSync(resolve(ROOT, "dist/browser/kinto-rx.min.js"), "utf8"),
    "/esm/index.mjs": readFileSync(resolve(ROOT, "dist/esm/index.mjs"), "utf8"),
    ...PAGES,
  };
  // The ESM build's chunks (shared code, and the capabilities loaded on first use: the feed here).
  for (const chunk of readdirSync(resolve(ROOT, "dist/esm/chunks")).filter((name) => name.endsWith(".mjs"))) {
    files[`/esm/chunks/${chunk}`] = readFileSync(resolve(ROOT, "dist/esm/chunks", chunk), "utf8");
  }
  for (const { file, contents } of Object.values(DEPENDENCIES)) {
    const result = await build({
      stdin: { contents, resolveDir: ROOT, loader: "js" },
      bundle: true,
      format: "esm",
      platform: "browser",
      target: "es2020",
      write: false,
      logLevel: "silent",
    });
    files[`/deps/${file}`] = result.outputFiles[0].text;
  }
  const server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    const content = files[path];
    if (content === undefined) {
      response.writeHead(404).end();
      return;
    }
    const type = path.endsWith(".html") ? "text/html; charset=utf-8" : "text/javascript; charset=utf-8";
    response.writeHead(200, { "Content-Type": type, "Cache-Control": "no-store" }).end(content);
  });
  await new Promise<void>((done) => server.listen(0, "127.0.0.1", done));
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

const TASKS = Array.from({ length: 12 }, (_, i) => {
  const n = String(i + 1).padStart(2, "0");
  return { id: `task-${n}`, title: `Task ${n}` };
});

let browser: Browser;
let pageServer: { server: Server; origin: string };

beforeAll(async () => {
  requireChromium();
  if (!existsSync(resolve(ROOT, "dist/browser/kinto-rx.min.js"))) throw new Error("dist/ is missing: run `node build.mjs` (npm test does)");
  pageServer = await startPageServer();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await new Promise((done) => pageServer?.server.close(done));
});

/** Every record on the server (raw GETs, following Next-Page), as "id: title", sorted by id. */
async function onServer(path: string): Promise<string[]> {
  const found: string[] = [];
  for (let next: string | null = `${path}?_sort=id`; next !== null;) {
    const { json, headers } = await raw("GET", next);
    found.push(...json.data.map((r: { id: string; title: string }) => `${r.id}: ${r.title}`));
    next = headers.get("Next-Page")?.slice(kintoUrl().length) ?? null;
  }
  return found;
}

const text = (page: Page, selector: string) => page.locator(selector).innerText();
const items = (page: Page, selector: string) => page.locator(`${selector} > li`).allInnerTexts();

/** Waits until the page has listed the records (or failed), then gives its error text. */
async function listed(page: Page): Promise<string> {
  await page.waitForFunction(
    () => document.getElementById("total")!.textContent !== "" || document.getElementById("error")!.textContent !== "",
    null,
    {
      timeout: 20_000,
    },
  );
  return text(page, "#error");
}

describe.each([
  ["the minified bundle (global KintoClient)", "/bundle.html"],
  ["the ESM build with an import map", "/esm.html"],
])("in Chromium, %s", (_name, path) => {
  const bucket = uniqueName("browser");
  const records = `/buckets/${bucket}/collections/tasks/records`;
  let page: Page;
  const problems: string[] = [];

  beforeAll(async () => {
    page = await browser.newPage();
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error") problems.push(`console: ${message.text()}`);
    });
    const config = { remote: kintoUrl(), authorization: AUTH, bucket, tasks: TASKS, interval: 100 };
    await page.addInitScript((c) => ((window as unknown as { KINTO_DEMO: unknown }).KINTO_DEMO = c), config);
    await page.goto(pageServer.origin + path);
  }, 30_000);

  afterAll(async () => {
    await page?.close();
    await raw("DELETE", `/buckets/${bucket}`);
  });

  it("loads from another origin than the server's", () => {
    expect(new URL(pageServer.origin).port).not.toBe(new URL(kintoUrl()).port);
  });

  it("creates the bucket, the collection and the records on the server", async () => {
    expect(await listed(page)).toBe("");
    expect((await raw("GET", `/buckets/${bucket}`)).json.data.id).toBe(bucket);
    expect((await raw("GET", `/buckets/${bucket}/collections/tasks`)).json.data.id).toBe("tasks");
    expect(await onServer(records)).toEqual(TASKS.map((t) => `${t.id}: ${t.title}`));
  });

  it("lists every record, page after page, sorted by title", async () => {
    expect(await items(page, "#tasks")).toEqual(TASKS.map((t) => `${t.id}: ${t.title}`));
    expect(await text(page, "#pages")).toBe("2");
    expect(await text(page, "#total")).toBe("12");
  });

  it("shows the changes that another client makes, as the server reports them", async () => {
    await page.waitForFunction(() => ["watching", "error"].includes(document.getElementById("status")!.textContent!), null, {
      timeout: 20_000,
    });
    expect({ status: await text(page, "#status"), error: await text(page, "#feed-error") }).toEqual({ status: "watching", error: "" });
    const created = await raw("PUT", `${records}/task-13`, { data: { title: "Task 13 (from node)" } });
    expect(created.status).toBe(201);
    await page.waitForFunction(() => document.querySelectorAll("#changes > li").length >= 1, null, { timeout: 20_000 });
    const deleted = await raw("DELETE", `${records}/task-01`);
    expect(deleted.status).toBe(200);
    await page.waitForFunction(() => document.querySelectorAll("#changes > li").length >= 2, null, { timeout: 20_000 });

    expect(await items(page, "#changes")).toEqual(["changed task-13: Task 13 (from node)", "deleted task-01"]);
    expect(await text(page, "#status")).toBe("watching");
    expect(await onServer(records)).toEqual([...TASKS.slice(1).map((t) => `${t.id}: ${t.title}`), "task-13: Task 13 (from node)"]);
    await page.evaluate(() => (window as unknown as { feed: { unsubscribe(): void } }).feed.unsubscribe());
  });

  it("logs no error in the page", () => {
    expect(problems).toEqual([]);
  });
});
