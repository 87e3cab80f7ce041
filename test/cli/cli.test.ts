/**
 * The kinto-rx CLI against the real server: import/export round trip of 10,000 records, resume,
 * watch, and clear failures (bad lines, unreachable server, 401).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { EXIT, main } from "../../src/cli/main";
import { freePort, startKinto, type KintoServer } from "../server/kinto-server";
import { sized, uniqueName } from "../helpers";
import { DIR } from "./run-cli";

const ROOT = resolve(__dirname, "../..");
const BUCKET = uniqueName("cli");
const AUTH = "cli-user:cli-pass";
const authHeader = "Basic " + Buffer.from(AUTH).toString("base64");

function io(signal?: AbortSignal) {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  return {
    io: { stdout, stderr: stderr as unknown as NodeJS.WriteStream, env: { KINTO_AUTH: AUTH }, signal },
    out: () => out,
    err: () => err,
  };
}

async function serverIds(collection: string): Promise<string[]> {
  const ids: string[] = [];
  let path: string | null = `/buckets/${BUCKET}/collections/${collection}/records?_fields=id&_limit=10000`;
  while (path) {
    const response = await get(path.replace(/^https?:\/\/[^/]+\/v1/, ""));
    const body = (await response.json()) as { data: { id: string }[] };
    ids.push(...body.data.map((r) => r.id));
    const next = response.headers.get("Next-Page");
    path = next ? next.replace(/^https?:\/\/[^/]+\/v1/, "") : null;
  }
  return ids;
}

// A server of its own, with pages of 1,000 records: exporting 10,000 records 10 at a time would
// measure the memory backend's sorting, not the CLI.
let server: KintoServer;
const kintoUrl = () => server.url;
const get = (path: string) => fetch(kintoUrl() + path, { headers: { Authorization: authHeader } });

beforeAll(async () => {
  server = await startKinto({ paginateBy: 1000 });
  const put = (path: string) => fetch(kintoUrl() + path, { method: "PUT", headers: { Authorization: authHeader } });
  await put(`/buckets/${BUCKET}`);
  await put(`/buckets/${BUCKET}/collections/source`);
  await put(`/buckets/${BUCKET}/collections/resume`);
}, 60_000);

afterAll(() => server?.stop());

describe("kinto-rx CLI", () => {
  const N = sized(10_000);
  const file = join(DIR, "records.jsonl");

  it(`imports ${N} records with a progress bar and exports them back, one JSON line each`, async () => {
    const input = Array.from({ length: N }, (_, n) => (n % 2 ? { n, title: `t${n}` } : { id: `rec-${n}`, n }));
    writeFileSync(file, input.map((r) => JSON.stringify(r)).join("\n") + "\n");
    const first = io();
    expect(await main(["import", kintoUrl(), `${BUCKET}/source`, file, "--concurrency", "4"], first.io)).toBe(EXIT.ok);
    expect(first.err()).toMatch(new RegExp(`^0%, 0/${N} confirmed, 0 failed`));
    expect(first.err()).toContain(`${BUCKET}/source at ${kintoUrl()}: ${N} new, 0 already there, 0 changed.`);
    const ids = await serverIds("source");
    expect(ids).toHaveLength(N);
    expect(new Set(ids).size).toBe(N);

    const exported = io();
    expect(await main(["export", kintoUrl(), `${BUCKET}/source`], exported.io)).toBe(EXIT.ok);
    const lines = exported
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { id: string; n: number; title?: string });
    expect(lines).toHaveLength(N);
    expect(new Set(lines.map((r) => r.id))).toEqual(new Set(ids));
    // Round trip: every input record comes back with its fields (and its id when it had one).
    const byN = new Map(lines.map((r) => [r.n, r]));
    for (const record of input) expect(byN.get(record.n)).toMatchObject(record);
  }, 300_000);

  it("resumes: a re-run after an interrupted import sends only what is missing, and duplicates nothing", async () => {
    const full = Array.from({ length: 500 }, (_, n) => JSON.stringify({ n })).join("\n") + "\n";
    const partial = join(DIR, "resume.jsonl");
    // The interrupted run: only the first 300 lines reached the server.
    writeFileSync(partial, full.split("\n").slice(0, 300).join("\n") + "\n");
    expect(await main(["import", kintoUrl(), `${BUCKET}/resume`, partial, "--no-progress"], io().io)).toBe(EXIT.ok);
    expect(await serverIds("resume")).toHaveLength(300);
    writeFileSync(partial, full);
    const again = io();
    expect(await main(["import", kintoUrl(), `${BUCKET}/resume`, partial, "--no-progress"], again.io)).toBe(EXIT.ok);
    expect(again.err()).toBe(`${BUCKET}/resume at ${kintoUrl()}: 200 new, 300 already there, 0 changed.\n`);
    const ids = await serverIds("resume");
    expect(ids).toHaveLength(500);
    expect(new Set(ids).size).toBe(500);
  }, 60_000);

  it("refuses a malformed line by its number and sends nothing", async () => {
    const bad = join(DIR, "bad.jsonl");
    writeFileSync(bad, '{"id":"ok-1"}\n{"id":"ok-2"}\n{"broken": \n');
    const run = io();
    expect(await main(["import", kintoUrl(), `${BUCKET}/bad`, bad], run.io)).toBe(EXIT.input);
    expect(run.err()).toContain(`${bad}:3: invalid JSON`);
    expect(run.err()).toContain("1 bad line(s)");
    expect(run.err()).toContain("Nothing was sent.");
    expect((await get(`/buckets/${BUCKET}/collections/bad`)).status).toBe(404);
  });

  it("says when the server is unreachable, or the credentials are refused", async () => {
    const port = await freePort();
    const unreachable = io();
    expect(await main(["info", `http://127.0.0.1:${port}/v1`, "--retry", "0"], unreachable.io)).toBe(EXIT.unreachable);
    expect(unreachable.err()).toContain("Server unreachable");
    expect(unreachable.err()).toContain(`127.0.0.1:${port}`);

    const anonymous = io();
    anonymous.io.env = {} as never;
    expect(await main(["export", kintoUrl(), `${BUCKET}/source`], anonymous.io)).toBe(EXIT.auth);
    expect(anonymous.err()).toContain(`Not authorized (HTTP 401 on GET ${kintoUrl()}/buckets/${BUCKET}/collections/source/records`);
  });

  it('watch prints each change as a JSON line with its kind until interrupted; a record holding "deleted": true is not a deletion', async () => {
    const controller = new AbortController();
    const run = io(controller.signal);
    const since = (await get(`/buckets/${BUCKET}/collections/source/records?_limit=1`)).headers.get("ETag")!.replace(/"/g, "");
    const done = main(["watch", kintoUrl(), `${BUCKET}/source`, "--interval", "50", "--since", since], run.io);
    const put = (id: string, data: object) =>
      fetch(`${kintoUrl()}/buckets/${BUCKET}/collections/source/records/${id}`, {
        method: "PUT",
        headers: { Authorization: authHeader, "Content-Type": "application/json" },
        body: JSON.stringify({ data }),
      });
    // Polling sees the latest state of each record: wait for each change before the next one.
    const seen = async (count: number) => {
      const deadline = Date.now() + 10_000;
      while (run.out().trim().split("\n").filter(Boolean).length < count && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 25));
    };
    await put("w-1", { watched: true });
    await seen(1);
    // Exactly the fields of a tombstone, as Kinto lists one: only the server can tell it is a record.
    await put("w-2", { deleted: true });
    await seen(2);
    await put("w-3", { deleted: true, title: "a record about a deletion" });
    await seen(3);
    await fetch(`${kintoUrl()}/buckets/${BUCKET}/collections/source/records/w-1`, {
      method: "DELETE",
      headers: { Authorization: authHeader },
    });
    await seen(4);
    controller.abort();
    expect(await done).toBe(EXIT.ok);
    const lines = run
      .out()
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { kind: string; data: { id: string; deleted?: boolean } });
    expect(lines.map((l) => [l.kind, l.data.id])).toEqual([
      ["changed", "w-1"],
      ["changed", "w-2"],
      ["changed", "w-3"],
      ["deleted", "w-1"],
    ]);
    expect(lines[1].data).toEqual({ id: "w-2", last_modified: expect.any(Number), deleted: true });
    expect(lines[3].data).toEqual({ id: "w-1", last_modified: expect.any(Number), deleted: true });
    // The server agrees: w-2 and w-3 are records, w-1 is gone.
    expect((await get(`/buckets/${BUCKET}/collections/source/records/w-2`)).status).toBe(200);
    expect((await get(`/buckets/${BUCKET}/collections/source/records/w-1`)).status).toBe(404);
  });

  it("the built binary prints its usage and exits 2 on bad arguments, without echoing a password", () => {
    const bin = join(ROOT, "dist/cli/kinto-rx.js");
    expect(execFileSync(process.execPath, [bin, "--help"], { encoding: "utf8" })).toContain("kinto-rx import <server>");
    const bad = spawnSync(process.execPath, [bin, "info", "http://u:hunter2@127.0.0.1:1/v1"], { encoding: "utf8" });
    expect(bad.status).toBe(EXIT.usage);
    expect(bad.stderr).toContain("not in the URL");
    expect(bad.stderr + bad.stdout).not.toContain("hunter2");
  });
});
