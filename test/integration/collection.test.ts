/**
 * Collections against the real server: data, permissions, records CRUD with `safe`, listing with
 * filters, counts and timestamps. Every write is checked on the server with raw().
 * Snapshots, attachments, typed records, the options cascade and hostile ids:
 * collection-extras.test.ts.
 */
import { firstValueFrom, lastValueFrom } from "rxjs";
import { allRecords, InvalidArgumentError, KintoHttpError, type Collection } from "../../src";
import { raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("coll");
const bucket = testClient().bucket(BUCKET);
const base = (cid: string) => `/buckets/${BUCKET}/collections/${cid}`;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
});

async function freshCollection(name: string): Promise<Collection> {
  expect((await raw("PUT", base(name))).status).toBe(201);
  return bucket.collection(name);
}

describe("collection data and permissions", () => {
  it("setData replaces, setData({patch}) merges, getData reads, with fields", async () => {
    const coll = await freshCollection("meta");
    const set = await firstValueFrom(coll.setData({ title: "Posts", extra: 1 }));
    expect(set.data).toMatchObject({ id: "meta", title: "Posts", extra: 1 });
    await firstValueFrom(coll.setData({ title: "Articles" }));
    expect((await raw("GET", base("meta"))).json.data).not.toHaveProperty("extra");
    await firstValueFrom(coll.setData({ color: "red" }, { patch: true }));
    const server = (await raw("GET", base("meta"))).json.data;
    expect(server).toMatchObject({ title: "Articles", color: "red" });
    expect(await firstValueFrom(coll.getData())).toEqual(server);
    const some = await firstValueFrom(coll.getData({ fields: ["color"] }));
    expect(Object.keys(some).sort()).toEqual(["color", "id", "last_modified"]);
  });

  it("setPermissions replaces, add/removePermissions patch principals, getPermissions reads", async () => {
    const coll = await freshCollection("perms");
    await firstValueFrom(coll.setData({ keep: true }));
    await firstValueFrom(coll.setPermissions({ read: ["system.Everyone"], "record:create": ["account:ann"] }));
    let server = (await raw("GET", base("perms"))).json;
    expect(server.permissions.read).toEqual(["system.Everyone"]);
    expect(server.data.keep).toBe(true); // a permissions-only PUT keeps the data
    // Kinto's JSON-Patch adds to an existing type only (read and write always exist).
    await firstValueFrom(coll.addPermissions({ read: ["account:bob"], "record:create": ["system.Authenticated"] }));
    server = (await raw("GET", base("perms"))).json;
    expect(server.permissions.read.sort()).toEqual(["account:bob", "system.Everyone"]);
    expect(server.permissions["record:create"].sort()).toEqual(["account:ann", "system.Authenticated"]);
    await firstValueFrom(coll.removePermissions({ read: ["system.Everyone"] }));
    server = (await raw("GET", base("perms"))).json;
    expect(server.permissions.read).toEqual(["account:bob"]);
    expect(await firstValueFrom(coll.getPermissions())).toEqual(server.permissions);
  });
});

describe("records CRUD", () => {
  let coll: Collection;
  beforeAll(async () => {
    coll = await freshCollection("crud");
  });

  it("createRecord without id: POST, the server generates the id", async () => {
    const { data } = await firstValueFrom(coll.createRecord({ title: "generated" }));
    expect(data.id).toMatch(/^[0-9a-f-]{36}$/);
    const server = await raw("GET", `${base("crud")}/records/${data.id}`);
    expect(server.json.data).toEqual(data);
  });

  it("createRecord with id and permissions: PUT at that id", async () => {
    const { data, permissions } = await firstValueFrom(
      coll.createRecord({ id: "r1", title: "one" }, { permissions: { read: ["system.Everyone"] } }),
    );
    expect(data).toMatchObject({ id: "r1", title: "one" });
    expect(permissions?.read).toEqual(["system.Everyone"]);
    const server = await raw("GET", `${base("crud")}/records/r1`);
    expect(server.json.data).toEqual(data);
    expect(server.json.permissions.read).toEqual(["system.Everyone"]);
  });

  it("safe create of an existing id fails with 412, carrying the server's record", async () => {
    const before = (await raw("GET", `${base("crud")}/records/r1`)).json.data;
    const error = await firstValueFrom(coll.createRecord({ id: "r1", title: "clobber" }, { safe: true })).catch((e) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error.status).toBe(412);
    expect(error.existing).toEqual(before);
    expect((await raw("GET", `${base("crud")}/records/r1`)).json.data).toEqual(before);
  });

  it("getRecord, with fields", async () => {
    const full = await firstValueFrom(coll.getRecord("r1"));
    expect(full.data).toEqual((await raw("GET", `${base("crud")}/records/r1`)).json.data);
    const some = await firstValueFrom(coll.getRecord("r1", { fields: ["title"] }));
    expect(Object.keys(some.data).sort()).toEqual(["id", "last_modified", "title"]);
    await expect(firstValueFrom(coll.getRecord("missing"))).rejects.toMatchObject({ status: 404 });
  });

  it("updateRecord replaces, with patch merges, and safe refuses a stale last_modified", async () => {
    await firstValueFrom(coll.createRecord({ id: "u1", a: 1, b: 2 }));
    await firstValueFrom(coll.updateRecord({ id: "u1", a: 10 }));
    expect((await raw("GET", `${base("crud")}/records/u1`)).json.data).not.toHaveProperty("b");
    const patched = await firstValueFrom(coll.updateRecord({ id: "u1", c: 3 }, { patch: true }));
    expect(patched.data).toMatchObject({ a: 10, c: 3 });
    const stale = patched.data.last_modified - 1;
    const error = await firstValueFrom(coll.updateRecord({ id: "u1", a: 99, last_modified: stale }, { safe: true })).catch((e) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error.status).toBe(412);
    expect(error.existing).toEqual(patched.data);
    expect((await raw("GET", `${base("crud")}/records/u1`)).json.data.a).toBe(10);
    const ok = await firstValueFrom(coll.updateRecord({ id: "u1", a: 99 }, { safe: true, last_modified: patched.data.last_modified }));
    expect((await raw("GET", `${base("crud")}/records/u1`)).json.data).toEqual(ok.data);
    expect(ok.data.a).toBe(99);
  });

  it("deleteRecord: safe with a stale timestamp fails, with the current one deletes", async () => {
    const { data } = await firstValueFrom(coll.createRecord({ id: "d1" }));
    await expect(
      firstValueFrom(coll.deleteRecord({ id: "d1", last_modified: data.last_modified - 1 }, { safe: true })),
    ).rejects.toMatchObject({ status: 412 });
    expect((await raw("GET", `${base("crud")}/records/d1`)).status).toBe(200);
    const deleted = await firstValueFrom(coll.deleteRecord(data, { safe: true }));
    expect(deleted.data).toMatchObject({ id: "d1", deleted: true });
    expect((await raw("GET", `${base("crud")}/records/d1`)).status).toBe(404);
  });

  it("deleteRecord: safe without any last_modified is refused before sending, as in kinto-http.js", async () => {
    await firstValueFrom(coll.createRecord({ id: "d2" }));
    await expect(firstValueFrom(coll.deleteRecord("d2", { safe: true }))).rejects.toThrow(InvalidArgumentError);
    await expect(firstValueFrom(coll.deleteRecord("d2", { safe: true }))).rejects.toThrow("requires a last_modified");
    expect((await raw("GET", `${base("crud")}/records/d2`)).status).toBe(200);
  });

  it("deleteRecords with filters deletes only the matching records", async () => {
    const c = await freshCollection("bulk");
    for (const n of [1, 2, 3, 4]) await firstValueFrom(c.createRecord({ id: `n${n}`, n }));
    const tombstones = await firstValueFrom(c.deleteRecords({ filters: { min_n: 3 } }));
    expect(tombstones.data.map((t) => t.id).sort()).toEqual(["n3", "n4"]);
    expect((await raw("GET", `${base("bulk")}/records?_sort=n`)).json.data.map((r: any) => r.id)).toEqual(["n1", "n2"]);
  });
});

describe("listing records", () => {
  let coll: Collection;
  const fixtures = [
    { id: "a", n: 1, tag: "red", title: "apple" },
    { id: "b", n: 2, tag: "green", title: "banana" },
    { id: "c", n: 3, tag: "red", title: "cherry" },
    { id: "d", n: 4, tag: "blue" },
    { id: "e", n: 5, tag: "green", title: "elder" },
  ];
  beforeAll(async () => {
    coll = await freshCollection("list");
    for (const r of fixtures) expect((await raw("PUT", `${base("list")}/records/${r.id}`, { data: r })).status).toBe(201);
  });
  const ids = async (options: Parameters<Collection["listRecords"]>[0]) =>
    (await lastValueFrom(coll.listRecords({ pages: Infinity, ...options }).pipe(allRecords()))).map((r) => r.id);

  it("sorts (default -last_modified), limits and pages", async () => {
    expect(await ids({})).toEqual(["e", "d", "c", "b", "a"]);
    expect(await ids({ sort: "title" })).toEqual(["a", "b", "c", "e", "d"]);
    const first = await firstValueFrom(coll.listRecords({ sort: "n", limit: 2 }));
    expect(first.data.map((r) => r.id)).toEqual(["a", "b"]);
    expect(first.hasNextPage).toBe(true);
    const pages = await lastValueFrom(coll.listRecords({ sort: "n", limit: 2, pages: 2 }).pipe(allRecords()));
    expect(pages.map((r) => r.id)).toEqual(["a", "b", "c", "d"]);
  });

  it("filters: min_, in_, not_, like_, has_, and fields", async () => {
    expect(await ids({ sort: "n", filters: { min_n: 4 } })).toEqual(["d", "e"]);
    expect(await ids({ sort: "n", filters: { in_id: ["a", "e"] } })).toEqual(["a", "e"]);
    expect(await ids({ sort: "n", filters: { not_tag: "red" } })).toEqual(["b", "d", "e"]);
    expect(await ids({ sort: "n", filters: { like_tag: "*ee*" } })).toEqual(["b", "e"]);
    expect(await ids({ sort: "n", filters: { has_title: false } })).toEqual(["d"]);
    const page = await firstValueFrom(coll.listRecords({ fields: ["tag"], sort: "n", limit: 1 }));
    expect(page.data).toEqual([{ id: "a", tag: "red", last_modified: expect.any(Number) }]);
  });

  it("since returns the changes after a timestamp, deletions included", async () => {
    const since = await firstValueFrom(coll.getRecordsTimestamp());
    await raw("PATCH", `${base("list")}/records/a`, { data: { n: 10 } });
    const changes = await firstValueFrom(coll.listRecords({ since: since! }));
    expect(changes.data.map((r) => [r.id, r.n])).toEqual([["a", 10]]);
    await raw("PATCH", `${base("list")}/records/a`, { data: { n: 1 } });
  });

  it("getTotalRecords (with filters) and getRecordsTimestamp match the server", async () => {
    expect(await firstValueFrom(coll.getTotalRecords())).toBe(5);
    expect(await firstValueFrom(coll.getTotalRecords({ filters: { tag: "green" } }))).toBe(2);
    const { headers } = await raw("HEAD", `${base("list")}/records`);
    expect(await firstValueFrom(coll.getRecordsTimestamp())).toBe(headers.get("ETag")); // quotes included, as kinto-http.js
  });
});
