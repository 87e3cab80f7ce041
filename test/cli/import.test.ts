/**
 * `kinto-rx import` against the real server: the pre-check (every bad line, duplicate ids,
 * `__proto__`, bad last_modified), ids that do not depend on line numbers, re-runs that send only
 * what is missing and say so, and --on-conflict.
 */
import { kintoUrl, raw, uniqueName } from "../helpers";
import { collections, jsonl, runMain, serverRecords } from "./run-cli";

const BUCKET = uniqueName("cli-import");
const target = (collection: string) => `${BUCKET}/${collection}`;

beforeAll(() => collections(BUCKET, "bad", "edited", "rerun", "conflict", "required", "proto", "dry"));

describe("the pre-check", () => {
  it("names every bad line (up to --max-errors), and sends nothing", async () => {
    const file = jsonl("bad.jsonl", [
      { id: "a", n: 1 },
      "{not json",
      { id: "b", n: 2 },
      { id: "a", n: 3 },
      { n: 4, last_modified: "yesterday" },
      "[1, 2]",
      { id: "b", n: 2 },
      { id: "no/slash" },
      '{"title": "x", "__proto__": {"isAdmin": true}}',
      '{"nested": {"deep": [{"__proto__": 1}]}}',
    ]);
    const run = await runMain(["import", kintoUrl(), target("bad"), file]);
    expect(run.code).toBe(5);
    const reported = run.err
      .replace(/^kinto-rx: /, "")
      .split("\n")
      .filter((l) => l.startsWith(`${file}:`));
    expect(reported.map((l) => Number(l.slice(file.length + 1).split(":")[0]))).toEqual([2, 4, 5, 6, 7, 8, 9, 10]);
    expect(run.err).toContain(`${file}:2: invalid JSON`);
    expect(run.err).toContain(`${file}:4: the same id as line 1 (id "a")`);
    expect(run.err).toContain(`${file}:5: invalid last_modified "yesterday"`);
    expect(run.err).toContain(`${file}:7: the same record as line 3 (id "b")`);
    expect(run.err).toContain(`${file}:9: a "__proto__" key (at $.__proto__)`);
    expect(run.err).toContain(`${file}:10: a "__proto__" key (at $.nested.deep[0].__proto__)`);
    expect(run.err).toContain("8 bad line(s)");
    expect(run.err).toContain("Nothing was sent.");
    expect(await serverRecords(BUCKET, "bad")).toEqual([]);

    const limited = await runMain(["import", kintoUrl(), target("bad"), file, "--max-errors", "3"]);
    expect(
      limited.err
        .replace(/^kinto-rx: /, "")
        .split("\n")
        .filter((l) => l.startsWith(`${file}:`)),
    ).toHaveLength(3);
    expect(limited.err).toContain("(5 more bad line(s) not shown; see --max-errors)");
  });

  it("--ids required refuses a line without an id", async () => {
    const file = jsonl("required.jsonl", [{ id: "x" }, { n: 1 }]);
    const run = await runMain(["import", kintoUrl(), target("required"), file, "--ids", "required"]);
    expect(run.code).toBe(5);
    expect(run.err).toContain(`${file}:2: no "id" (--ids required)`);
    expect(await serverRecords(BUCKET, "required")).toEqual([]);
  });
});

describe("ids and re-runs", () => {
  it("a line prepended to the file and a re-run add one record, not a copy of the file", async () => {
    const lines = Array.from({ length: 30 }, (_, n) => ({ n, title: `t${n}` }));
    const first = await runMain(["import", kintoUrl(), target("edited"), jsonl("edited-1.jsonl", lines), "--no-progress"]);
    expect(first.code).toBe(0);
    expect(first.err).toContain(": 30 new, 0 already there, 0 changed.");
    const again = await runMain([
      "import",
      kintoUrl(),
      target("edited"),
      jsonl("edited-2.jsonl", [{ n: -1, title: "first" }, ...lines]),
      "--no-progress",
    ]);
    expect(again.code).toBe(0);
    expect(again.err).toContain(": 1 new, 30 already there, 0 changed.");
    const held = await serverRecords(BUCKET, "edited");
    expect(held).toHaveLength(31);
    expect(held.map((r) => r.n).sort((a, b) => a - b)).toEqual([-1, ...lines.map((l) => l.n)]);
  });

  it("a re-run of the same file rewrites nothing; a resume sends only the rest, and both say so", async () => {
    const lines = Array.from({ length: 50 }, (_, n) => (n % 2 ? { id: `given-${n}`, n } : { n }));
    const partial = await runMain(["import", kintoUrl(), target("rerun"), jsonl("rerun-part.jsonl", lines.slice(0, 20)), "--no-progress"]);
    expect(partial.err).toContain(": 20 new, 0 already there, 0 changed.");
    const file = jsonl("rerun.jsonl", lines);
    const resumed = await runMain(["import", kintoUrl(), target("rerun"), file, "--no-progress"]);
    expect(resumed.err).toContain(": 30 new, 20 already there, 0 changed.");
    const before = await serverRecords(BUCKET, "rerun");
    expect(before).toHaveLength(50);
    const collectionTimestamp = (await raw("GET", `/buckets/${BUCKET}/collections/rerun/records?_limit=1`)).headers.get("ETag");

    const rerun = await runMain(["import", kintoUrl(), target("rerun"), file, "--no-progress"]);
    expect(rerun.code).toBe(0);
    expect(rerun.err).toContain(": 0 new, 50 already there, 0 changed.");
    // Nothing was written: every record, and the list's timestamp, are as they were.
    expect(await serverRecords(BUCKET, "rerun")).toEqual(before);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/rerun/records?_limit=1`)).headers.get("ETag")).toBe(collectionTimestamp);
  });
});

describe("--on-conflict", () => {
  const file = jsonl("conflict.jsonl", [
    { id: "c-1", title: "mine" },
    { id: "c-2", title: "same" },
  ]);
  const record = async (id: string) => (await raw("GET", `/buckets/${BUCKET}/collections/conflict/records/${id}`)).json.data;

  beforeAll(async () => {
    expect((await runMain(["import", kintoUrl(), target("conflict"), file, "--no-progress"])).code).toBe(0);
    // Someone else edits c-1 on the server.
    await raw("PUT", `/buckets/${BUCKET}/collections/conflict/records/c-1`, { data: { title: "theirs" } });
  });

  it("fail (the default): exit 6 naming the line, nothing sent", async () => {
    const run = await runMain(["import", kintoUrl(), target("conflict"), file]);
    expect(run.code).toBe(6);
    expect(run.err).toContain(`${file}:1: the server holds record "c-1" with other content`);
    expect(run.err).toContain("nothing was sent");
    expect((await record("c-1")).title).toBe("theirs");
  });

  it("skip: leaves it and says so", async () => {
    const run = await runMain(["import", kintoUrl(), target("conflict"), file, "--on-conflict", "skip"]);
    expect(run.code).toBe(0);
    expect(run.err).toContain(": 0 new, 1 already there, 1 changed (left as the server holds them).");
    expect((await record("c-1")).title).toBe("theirs");
  });

  it("overwrite: replaces it with the file's version", async () => {
    const run = await runMain(["import", kintoUrl(), target("conflict"), file, "--on-conflict", "overwrite", "--no-progress"]);
    expect(run.code).toBe(0);
    expect(run.err).toContain(": 0 new, 1 already there, 1 changed (replaced).");
    expect(await record("c-1")).toMatchObject({ id: "c-1", title: "mine" });
    expect(await serverRecords(BUCKET, "conflict")).toHaveLength(2);
  });
});

describe("--dry-run", () => {
  it("reads the server, prints each write that would be sent, and sends none", async () => {
    const first = jsonl("dry-first.jsonl", [{ id: "a", n: 1 }]);
    expect((await runMain(["import", kintoUrl(), target("dry"), first, "--quiet"])).code).toBe(0);
    const file = jsonl("dry.jsonl", [
      { id: "a", n: 1 },
      { id: "b", n: 2 },
      { id: "c", n: 3 },
    ]);
    const run = await runMain(["import", kintoUrl(), target("dry"), file, "--dry-run", "--no-progress"]);
    expect(run.code).toBe(0);
    const prefix = new URL(kintoUrl()).pathname;
    expect(run.out.trim().split("\n")).toEqual([
      `PUT ${prefix}/buckets/${BUCKET}/collections/dry/records/b`,
      `PUT ${prefix}/buckets/${BUCKET}/collections/dry/records/c`,
    ]);
    expect(run.err).toContain("2 record(s) would be sent (2 new, 1 already there, 0 changed); nothing was sent.");
    expect((await serverRecords(BUCKET, "dry")).map((r) => r.id)).toEqual(["a"]);

    const json = await runMain(["import", kintoUrl(), target("dry"), file, "--dry-run", "--json"]);
    const events = json.out
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as { event: string; path?: string });
    expect(events.filter((e) => e.event === "would-send").map((e) => e.path)).toEqual([
      `${prefix}/buckets/${BUCKET}/collections/dry/records/b`,
      `${prefix}/buckets/${BUCKET}/collections/dry/records/c`,
    ]);
    expect(events.at(-1)).toMatchObject({ event: "dry-run", new: 2, already: 1, send: 2 });
    expect((await serverRecords(BUCKET, "dry")).map((r) => r.id)).toEqual(["a"]);
  });
});
