/**
 * The Angular application of examples/angular (standalone components, `@for`, AsyncPipe,
 * kinto-rx/angular's provideKintoClient, built by `ng build` in production mode by
 * scripts/angular-app.sh from the packed kinto-rx tarball), against the real Kinto server:
 * its SSR server renders the records into the HTML, and in headless Chromium (zoneless, then
 * with zone.js) the page lists the records, adds one through its form, and shows a change made
 * by another client through the live feed, with no console error and no failed request.
 * Needs Chromium (`npm run browser:install`) and the built app (`npm run angular:build`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type Browser, type Page } from "playwright-core";
import { launchChromium, requireChromium } from "../chromium";
import { kintoUrl, raw, uniqueName } from "../helpers";

const APP = resolve(__dirname, "../../examples/angular");
const EVERYONE = { read: ["system.Everyone"], write: ["system.Everyone"] };

let browser: Browser;
let ssr: { process: ChildProcess; origin: string };

/** Starts the app's SSR server (dist/server/server.mjs) on a free port; bounded wait for its line. */
function startSsr(): Promise<{ process: ChildProcess; origin: string }> {
  const child = spawn(process.execPath, [resolve(APP, "dist/server/server.mjs")], {
    env: { ...process.env, PORT: "0", NG_ALLOWED_HOSTS: "127.0.0.1" },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  return new Promise((done, fail) => {
    const timer = setTimeout(() => fail(new Error(`the SSR server did not start in 20 s:\n${output}`)), 20_000);
    const read = (chunk: Buffer) => {
      output += chunk.toString();
      const match = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(output);
      if (match) {
        clearTimeout(timer);
        done({ process: child, origin: match[1] });
      }
    };
    child.stdout!.on("data", read);
    child.stderr!.on("data", read);
    child.on("exit", (code) => fail(new Error(`the SSR server exited (${code}):\n${output}`)));
  });
}

beforeAll(async () => {
  requireChromium();
  if (!existsSync(resolve(APP, "dist/server/server.mjs")))
    throw new Error("the Angular app is not built: run `npm run angular:build` (npm test does)");
  ssr = await startSsr();
  browser = await launchChromium();
}, 60_000);

afterAll(async () => {
  await browser?.close();
  ssr?.process.kill();
});

/** A bucket that anyone may read and write (the app sends no credentials), with three tasks. */
async function seed(): Promise<{ bucket: string; records: string; page: string }> {
  const bucket = uniqueName("angular");
  expect((await raw("PUT", `/buckets/${bucket}`, { permissions: EVERYONE })).status).toBe(201);
  expect((await raw("PUT", `/buckets/${bucket}/collections/tasks`)).status).toBe(201);
  const records = `/buckets/${bucket}/collections/tasks/records`;
  for (const [id, title] of [
    ["t1", "Buy milk"],
    ["t2", "Call Alice"],
    ["t3", "Write report"],
  ]) {
    expect((await raw("PUT", `${records}/${id}`, { data: { title } })).status).toBe(201);
  }
  const query = new URLSearchParams({ kinto: kintoUrl(), bucket });
  return { bucket, records, page: `${ssr.origin}/?${query}` };
}

/** Titles of the server's records, sorted. */
async function titlesOnServer(records: string): Promise<string[]> {
  const { json } = await raw("GET", `${records}?_sort=title`);
  return json.data.map((r: { title: string }) => r.title);
}

const listed = (page: Page) => page.locator("task-list li").allInnerTexts();

/** Waits (bounded) until the page lists exactly `titles`. */
async function untilListed(page: Page, titles: string[]): Promise<void> {
  await page.waitForFunction(
    (expected) => [...document.querySelectorAll("task-list li")].map((li) => li.textContent!.trim()).join("|") === expected.join("|"),
    titles,
    {
      timeout: 15_000,
    },
  );
}

it("ng build printed no warning (no CommonJS dependency, no budget exceeded)", () => {
  const log = readFileSync(resolve(APP, "build.log"), "utf8");
  expect(log).toContain("Application bundle generation complete");
  expect(log).not.toMatch(/WARNING|▲|CommonJS|cross-fetch/);
});

it("the README's Angular blocks are the ones ng build compiled, and task-list.ts is the app's own component", () => {
  const readme = readFileSync(resolve(APP, "../../README.md"), "utf8");
  const start = readme.indexOf("### Angular: `kinto-rx/angular`");
  const section = readme.slice(start, readme.indexOf("\n## ", start));
  const blocks = [...section.matchAll(/```ts\n\/\/ src\/([\w./-]+\.ts)\n([\s\S]*?)```/g)];
  expect(blocks.map(([, file]) => file)).toEqual(["app/app.config.ts", "app/task-list.ts"]);
  for (const [, file, code] of blocks) expect(readFileSync(resolve(APP, "src/readme", file), "utf8")).toBe(code);
  expect(readFileSync(resolve(APP, "src/app/task-list.ts"), "utf8")).toBe(blocks[1][2]);
});

it("the SSR server bundle carries no fetch ponyfill", () => {
  for (const file of ["main.server.mjs", "server.mjs"]) {
    expect(readFileSync(resolve(APP, "dist/server", file), "utf8")).not.toMatch(/node-fetch|whatwg-url|cross-fetch\/dist/);
  }
});

it("the server-side render contains the records (SSR waited for kinto-rx's requests)", async () => {
  const { page, bucket } = await seed();
  const response = await fetch(page);
  expect(response.status).toBe(200);
  const html = await response.text();
  const items = [...html.matchAll(/<li[^>]*>\s*([^<]*?)\s*<\/li>/g)].map((m) => m[1]);
  expect(items).toEqual(["Buy milk", "Call Alice", "Write report"]);
  expect(html).not.toContain("Loading");
  await raw("DELETE", `/buckets/${bucket}`);
});

describe.each([
  ["zoneless", ""],
  ["with zone.js", "&zone"],
  ["with the browser's own fetch instead of HttpClient", "&native"],
])("in Chromium, %s", (_name, flag) => {
  let page: Page;
  let seeded: { bucket: string; records: string; page: string };
  const problems: string[] = [];

  beforeAll(async () => {
    seeded = await seed();
    page = await browser.newPage();
    page.on("pageerror", (error) => problems.push(`pageerror: ${error.message}`));
    page.on("console", (message) => {
      if (message.type() === "error" || message.type() === "warning") problems.push(`console ${message.type()}: ${message.text()}`);
    });
    page.on("requestfailed", (request) => problems.push(`failed: ${request.method()} ${request.url()} ${request.failure()?.errorText}`));
    page.on("response", (response) => {
      if (response.status() >= 400) problems.push(`HTTP ${response.status()}: ${response.request().method()} ${response.url()}`);
    });
    await page.goto(seeded.page + flag);
  }, 30_000);

  afterAll(async () => {
    await page?.close();
    await raw("DELETE", `/buckets/${seeded.bucket}`);
  });

  it("lists the records, sorted by title", async () => {
    await untilListed(page, ["Buy milk", "Call Alice", "Write report"]);
    // The server-rendered list shows first; the browser app then takes over (hydration) and lists
    // again: under load the list can be empty for a moment in between. It must settle on the same.
    await page.waitForTimeout(500);
    await untilListed(page, ["Buy milk", "Call Alice", "Write report"]);
    expect(await listed(page)).toEqual(["Buy milk", "Call Alice", "Write report"]);
  });

  it("adds a record through the form: the server has it and the list shows it", async () => {
    await page.fill("task-list input", "Answer mail");
    await page.click("task-list button");
    await untilListed(page, ["Answer mail", "Buy milk", "Call Alice", "Write report"]);
    expect(await titlesOnServer(seeded.records)).toEqual(["Answer mail", "Buy milk", "Call Alice", "Write report"]);
  });

  it("shows the changes that another client makes, through the live feed", async () => {
    expect((await raw("PUT", `${seeded.records}/t4`, { data: { title: "From outside" } })).status).toBe(201);
    await untilListed(page, ["Answer mail", "Buy milk", "Call Alice", "From outside", "Write report"]);
    expect((await raw("DELETE", `${seeded.records}/t1`)).status).toBe(200);
    await untilListed(page, ["Answer mail", "Call Alice", "From outside", "Write report"]);
  });

  it("idle feed polls do not render the page", async () => {
    const renders = () => page.evaluate(() => (globalThis as { kintoRenders?: number }).kintoRenders ?? 0);
    const before = await renders();
    await page.waitForTimeout(3_500); // three polls at the feed's default 1 s interval
    expect((await renders()) - before).toBe(0);
  });

  it("logs no error or warning and has no failed request", () => {
    expect(problems).toEqual([]);
  });
});
