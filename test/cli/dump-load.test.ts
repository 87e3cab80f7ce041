/**
 * `kinto-rx dump` and `load` against the real server: a bucket with 3 collections, a group,
 * permissions (of the bucket, the group, the collections and some records) and 10,000 records
 * (2,000 on PostgreSQL) is dumped, deleted, loaded back and dumped again, identically; a re-run
 * writes nothing; --dry-run says what would change and writes nothing.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { lastValueFrom } from "rxjs";
import { KintoClient } from "../../src";
import { startKinto, type KintoServer } from "../server/kinto-server";
import { sized, uniqueName } from "../helpers";
import { DIR, runMain, USER_PASS } from "./run-cli";

const BUCKET = uniqueName("dump");
// 10,000 records in memory; a fifth on PostgreSQL, where each write costs the server milliseconds.
const SIZES = { posts: sized(5000), tags: sized(3000), authors: sized(2000) } as const;
const TOTAL = SIZES.posts + SIZES.tags + SIZES.authors;
let server: KintoServer;
let client: KintoClient;
const headers = { Authorization: "Basic " + Buffer.from(USER_PASS).toString("base64") };
const raw = (method: string, path: string, body?: unknown) =>
  fetch(server.url + path, {
    method,
    headers: { ...headers, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

beforeAll(async () => {
  server = await startKinto({ paginateBy: 1000 });
  client = new KintoClient(server.url, { headers });
  await lastValueFrom(client.createBucket(BUCKET, { data: { title: "the blog" }, permissions: { read: ["system.Authenticated"] } }));
  const bucket = client.bucket(BUCKET);
  await lastValueFrom(bucket.createGroup("editors", ["basicauth:alice", "basicauth:bob"], { data: { label: "Editors" } }));
  for (const [name, size] of Object.entries(SIZES)) {
    await lastValueFrom(
      bucket.createCollection(name, {
        data: { displayFields: ["title"], size },
        permissions: { "record:create": [`/buckets/${BUCKET}/groups/editors`] },
      }),
    );
    const records = Array.from({ length: size }, (_, n) => ({
      id: `${name}-${n}`,
      title: `${name} ${n}`,
      n,
      nested: { even: n % 2 === 0 },
    }));
    await lastValueFrom(bucket.collection(name).uploadRecords(records));
  }
  // Record-level permissions: readable by everyone, or writable by the group.
  for (const id of SHARED)
    expect(
      (await raw("PATCH", `/buckets/${BUCKET}/collections/posts/records/${id}`, { permissions: { read: ["system.Everyone"] } })).status,
    ).toBe(200);
  expect((await raw("PATCH", `/buckets/${BUCKET}/collections/tags/records/tags-3`, { permissions: { write: [EDITORS] } })).status).toBe(
    200,
  );
}, 900_000);

const SHARED = ["posts-1", "posts-10", "posts-100"];
const EDITORS = `/buckets/${BUCKET}/groups/editors`;
const recordPermissions = async (collection: string, id: string) =>
  (
    (await (await raw("GET", `/buckets/${BUCKET}/collections/${collection}/records/${id}`)).json()) as {
      permissions: Record<string, string[]>;
    }
  ).permissions;

afterAll(() => server?.stop());

async function dump(name: string): Promise<{ path: string; text: string }> {
  const run = await runMain(["dump", server.url, BUCKET]);
  expect(run).toMatchObject({ code: 0, err: "" });
  const path = join(DIR, name);
  writeFileSync(path, run.out);
  return { path, text: run.out };
}

describe("dump and load", () => {
  let first: { path: string; text: string };

  it("dump: the bucket, its group, each collection then its records, sorted, without last_modified", async () => {
    first = await dump("first.jsonl");
    const lines = first.text
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l));
    expect(lines).toHaveLength(1 + 1 + 3 + TOTAL);
    expect(lines[0]).toEqual({
      kind: "bucket",
      id: BUCKET,
      data: { id: BUCKET, title: "the blog" },
      permissions: { read: ["system.Authenticated"], write: [expect.stringMatching(/^basicauth:/)] },
    });
    expect(lines[1]).toMatchObject({
      kind: "group",
      id: "editors",
      data: { members: ["basicauth:alice", "basicauth:bob"], label: "Editors" },
    });
    expect(lines.filter((l) => l.kind === "collection").map((l) => l.id)).toEqual(["authors", "posts", "tags"]);
    expect(lines[2]).toMatchObject({
      kind: "collection",
      id: "authors",
      permissions: { "record:create": [`/buckets/${BUCKET}/groups/editors`] },
    });
    expect(first.text).not.toContain("last_modified");
    const posts = lines.filter((l) => l.kind === "record" && l.collection === "posts").map((l) => l.data.id);
    expect(posts).toHaveLength(SIZES.posts);
    expect(posts).toEqual([...posts].sort());
    const user = lines[0].permissions.write[0];
    const record = (collection: string, id: string) =>
      lines.find((l) => l.kind === "record" && l.collection === collection && l.data.id === id);
    expect(record("posts", "posts-10")).toEqual({
      kind: "record",
      collection: "posts",
      data: { id: "posts-10", title: "posts 10", n: 10, nested: { even: true } },
      permissions: { read: ["system.Everyone"], write: [user] },
    });
    expect(record("tags", "tags-3").permissions).toEqual({ write: [EDITORS, user].sort() });
    expect(record("posts", "posts-11").permissions).toEqual({ write: [user] });
  }, 300_000);

  it("--dry-run on an empty server says everything would be created, and writes nothing", async () => {
    expect((await raw("DELETE", `/buckets/${BUCKET}`)).status).toBe(200);
    const run = await runMain(["load", server.url, first.path, "--dry-run"]);
    expect(run.code).toBe(0);
    expect(run.out).toContain(`bucket ${BUCKET}: would be created\n`);
    expect(run.out).toContain("group editors: would be created\n");
    expect(run.out).toContain(
      `records of posts: ${SIZES.posts} would be new, 0 would be replaced, 0 unchanged, 0 only on the server (left)\n`,
    );
    expect((await raw("GET", `/buckets/${BUCKET}`)).status).toBe(403); // gone (Kinto answers 403 for a missing bucket)
  }, 300_000);

  it("load reproduces the bucket exactly; a re-run writes nothing", async () => {
    const run = await runMain(["load", server.url, first.path, "--parallel", "3"]);
    expect(run.code).toBe(0);
    expect(run.err).toContain(`bucket ${BUCKET}: created\n`);
    expect(run.err).toContain(`records of tags: ${SIZES.tags} new, 0 replaced, 0 unchanged, 0 only on the server (left)\n`);
    const second = await dump("second.jsonl");
    expect(second.text).toBe(first.text);
    // The server itself holds the record-level permissions again.
    for (const id of SHARED) expect((await recordPermissions("posts", id)).read).toEqual(["system.Everyone"]);
    expect((await recordPermissions("tags", "tags-3")).write).toContain(EDITORS);
    expect((await recordPermissions("posts", "posts-11")).read).toBeUndefined();

    const etag = (await raw("GET", `/buckets/${BUCKET}/collections/posts/records?_limit=1`)).headers.get("ETag");
    const again = await runMain(["load", server.url, first.path]);
    expect(again.code).toBe(0);
    expect(again.err).toContain(`bucket ${BUCKET}: unchanged\n`);
    expect(again.err).toContain("collection posts: unchanged\n");
    expect(again.err).toContain(`records of posts: 0 new, 0 replaced, ${SIZES.posts} unchanged, 0 only on the server (left)\n`);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/posts/records?_limit=1`)).headers.get("ETag")).toBe(etag);
  }, 400_000);

  it("after edits on the server, --dry-run names them and load restores the dump", async () => {
    await raw("PATCH", `/buckets/${BUCKET}/collections/tags/records/tags-7`, { data: { title: "edited" } });
    await raw("PUT", `/buckets/${BUCKET}/collections/tags/records/extra`, { data: { title: "only here" } });
    await raw("PATCH", `/buckets/${BUCKET}/groups/editors`, { data: { members: ["basicauth:alice"] } });
    // Same data, other permissions: a change too.
    await raw("PUT", `/buckets/${BUCKET}/collections/posts/records/posts-1`, {
      data: { id: "posts-1", title: "posts 1", n: 1, nested: { even: false } },
      permissions: { read: [] },
    });
    const dry = await runMain(["load", server.url, first.path, "--dry-run"]);
    expect(dry.out).toContain("group editors: would be updated\n");
    expect(dry.out).toContain(
      `records of tags: 0 would be new, 1 would be replaced, ${SIZES.tags - 1} unchanged, 1 only on the server (left)\n`,
    );
    expect(dry.out).toContain(
      `records of posts: 0 would be new, 1 would be replaced, ${SIZES.posts - 1} unchanged, 0 only on the server (left)\n`,
    );
    expect((await recordPermissions("posts", "posts-1")).read).toBeUndefined(); // nothing written
    const run = await runMain(["load", server.url, first.path]);
    expect(run.code).toBe(0);
    expect((await recordPermissions("posts", "posts-1")).read).toEqual(["system.Everyone"]);
    const after = (await dump("third.jsonl")).text
      .split("\n")
      .filter((l) => !l.includes('"id":"extra"'))
      .join("\n");
    expect(after).toBe(first.text);
  }, 400_000);

  it("a bad dump is refused line by line before anything is written", async () => {
    const bad = join(DIR, "bad-dump.jsonl");
    const lines = [
      { kind: "collection", id: "c", data: {} },
      { kind: "bucket", id: "b", data: {} },
      "{oops",
      { kind: "record", collection: "x", data: { id: "r" } },
      { kind: "group", id: "g", data: { members: [] }, permissions: { read: "everyone" } },
    ];
    writeFileSync(bad, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n");
    const run = await runMain(["load", server.url, bad]);
    expect(run.code).toBe(5);
    expect(run.err).toContain(`${bad}:1: a dump starts with its "bucket" line`);
    expect(run.err).toContain(`${bad}:3: invalid JSON`);
    expect(run.err).toContain(`${bad}:4: a record of "x" outside its collection's section`);
    expect(run.err).toContain(`${bad}:5: "permissions" must map names to lists of principals`);
    expect(run.err).toContain("4 bad line(s)");
  });
});
