/**
 * Buckets against the real server: data, permissions, collections, groups and history. Every
 * write is checked on the server with raw().
 */
import { firstValueFrom, lastValueFrom } from "rxjs";
import { allRecords, type Bucket } from "../../src";
import { raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("bucket");
const path = `/buckets/${BUCKET}`;
let bucket: Bucket;

beforeAll(async () => {
  expect((await raw("PUT", path)).status).toBe(201);
  bucket = testClient().bucket(BUCKET);
});

describe("bucket data and permissions", () => {
  it("setData replaces, patch merges; getData reads with fields and query", async () => {
    await firstValueFrom(bucket.setData({ title: "Blog", color: "red" }));
    await firstValueFrom(bucket.setData({ title: "Journal" }));
    expect((await raw("GET", path)).json.data).not.toHaveProperty("color");
    const patched = await firstValueFrom(bucket.setData({ lang: "fr" }, { patch: true }));
    const server = (await raw("GET", path)).json.data;
    expect(server).toMatchObject({ title: "Journal", lang: "fr" });
    expect(patched.data).toEqual(server);
    expect(await firstValueFrom(bucket.getData())).toEqual(server);
    const fields = await firstValueFrom(bucket.getData({ fields: ["lang"] }));
    expect(Object.keys(fields).sort()).toEqual(["id", "lang", "last_modified"]);
    const query = await firstValueFrom(bucket.getData({ query: { _fields: "title" } }));
    expect(Object.keys(query).sort()).toEqual(["id", "last_modified", "title"]);
  });

  it("setPermissions keeps the data; add/removePermissions change only the given principals", async () => {
    const dataBefore = (await raw("GET", path)).json.data.title;
    await firstValueFrom(bucket.setPermissions({ read: ["account:ann"] }));
    let server = (await raw("GET", path)).json;
    expect(server.permissions.read).toEqual(["account:ann"]);
    expect(server.data.title).toBe(dataBefore);
    await firstValueFrom(bucket.addPermissions({ read: ["account:bob"], write: ["account:cid"] }));
    server = (await raw("GET", path)).json;
    expect(server.permissions.read.sort()).toEqual(["account:ann", "account:bob"]);
    expect(server.permissions.write).toContain("account:cid");
    await firstValueFrom(bucket.removePermissions({ read: ["account:ann"], write: ["account:cid"] }));
    server = (await raw("GET", path)).json;
    expect(server.permissions.read).toEqual(["account:bob"]);
    expect(server.permissions.write).not.toContain("account:cid");
    expect(await firstValueFrom(bucket.getPermissions())).toEqual(server.permissions);
  });
});

describe("collections", () => {
  it("createCollection with id, data and permissions, or with a generated id", async () => {
    const { data, permissions } = await firstValueFrom(
      bucket.createCollection("posts", { data: { version: 1 }, permissions: { read: ["system.Everyone"] } }),
    );
    expect(data).toMatchObject({ id: "posts", version: 1 });
    expect(permissions?.read).toEqual(["system.Everyone"]);
    const server = await raw("GET", `${path}/collections/posts`);
    expect(server.json.data).toEqual(data);
    expect(server.json.permissions.read).toEqual(["system.Everyone"]);
    const generated = await firstValueFrom(bucket.createCollection());
    expect((await raw("GET", `${path}/collections/${generated.data.id}`)).json.data).toEqual(generated.data);
    await expect(firstValueFrom(bucket.createCollection("posts", { safe: true }))).rejects.toMatchObject({ status: 412 });
  });

  it("listCollections, getCollectionsTimestamp, deleteCollection, deleteCollections with filters", async () => {
    for (const id of ["c1", "c2", "c3"])
      await firstValueFrom(bucket.createCollection(id, { data: { kind: id === "c1" ? "keep" : "drop" } }));
    const listed = await lastValueFrom(bucket.listCollections({ sort: "id", pages: Infinity, limit: 2 }).pipe(allRecords()));
    const server = (await raw("GET", `${path}/collections?_sort=id`)).json.data;
    expect(listed).toEqual(server);
    const { headers } = await raw("HEAD", `${path}/collections`);
    expect(await firstValueFrom(bucket.getCollectionsTimestamp())).toBe(headers.get("ETag"));
    const deleted = await firstValueFrom(bucket.deleteCollection("posts"));
    expect(deleted.data).toMatchObject({ id: "posts", deleted: true });
    expect((await raw("GET", `${path}/collections/posts`)).status).toBe(404);
    const tombstones = await firstValueFrom(bucket.deleteCollections({ filters: { kind: "drop" } }));
    expect(tombstones.data.map((t) => t.id).sort()).toEqual(["c2", "c3"]);
    const left = (await raw("GET", `${path}/collections?_sort=id`)).json.data.map((c: { id: string }) => c.id);
    expect(left).toContain("c1");
    expect(left).not.toContain("c2");
  });
});

describe("groups", () => {
  it("createGroup with members, data and permissions; generated id; getGroup", async () => {
    const { data, permissions } = await firstValueFrom(
      bucket.createGroup("editors", ["account:ann"], { data: { label: "Editors" }, permissions: { read: ["system.Authenticated"] } }),
    );
    expect(data).toMatchObject({ id: "editors", members: ["account:ann"], label: "Editors" });
    expect(permissions?.read).toEqual(["system.Authenticated"]);
    const server = await raw("GET", `${path}/groups/editors`);
    expect(server.json.data).toEqual(data);
    const fetched = await firstValueFrom(bucket.getGroup("editors"));
    expect(fetched.data).toEqual(server.json.data);
    expect(fetched.permissions).toEqual(server.json.permissions);
    const generated = await firstValueFrom(bucket.createGroup(undefined, []));
    expect((await raw("GET", `${path}/groups/${generated.data.id}`)).json.data.members).toEqual([]);
  });

  it("listGroups and getGroupsTimestamp", async () => {
    const groups = await lastValueFrom(bucket.listGroups({ pages: Infinity }).pipe(allRecords()));
    expect(groups).toEqual((await raw("GET", `${path}/groups`)).json.data);
    expect(groups.map((g) => g.id)).toContain("editors");
    const { headers } = await raw("HEAD", `${path}/groups`);
    expect(await firstValueFrom(bucket.getGroupsTimestamp())).toBe(headers.get("ETag"));
  });

  it("updateGroup replaces (members default to []), or with patch merges", async () => {
    await firstValueFrom(bucket.updateGroup({ id: "editors", members: ["account:bob"], label: "Eds" }, { patch: true }));
    let server = (await raw("GET", `${path}/groups/editors`)).json.data;
    expect(server).toMatchObject({ members: ["account:bob"], label: "Eds" });
    await firstValueFrom(bucket.updateGroup({ id: "editors", note: "replaced" }));
    server = (await raw("GET", `${path}/groups/editors`)).json.data;
    expect(server.members).toEqual([]);
    expect(server.note).toBe("replaced");
    expect(server).not.toHaveProperty("label");
  });

  it("deleteGroup", async () => {
    expect((await firstValueFrom(bucket.deleteGroup("editors"))).data).toMatchObject({ id: "editors", deleted: true });
    expect((await raw("GET", `${path}/groups/editors`)).status).toBe(404);
  });
});

describe("history", () => {
  it("lists the entries of the writes, newest first, with filters", async () => {
    await firstValueFrom(bucket.createCollection("hist"));
    const coll = bucket.collection("hist");
    await firstValueFrom(coll.createRecord({ id: "h1", v: 1 }));
    await firstValueFrom(coll.updateRecord({ id: "h1", v: 2 }));
    await firstValueFrom(coll.deleteRecord("h1"));
    const page = await firstValueFrom(bucket.listHistory({ filters: { collection_id: "hist", resource_name: "record" } }));
    expect(page.data.map((e) => [e.action, e.record_id, e.target?.data.v])).toEqual([
      ["delete", "h1", undefined],
      ["update", "h1", 2],
      ["create", "h1", 1],
    ]);
    const server = (await raw("GET", `${path}/history?collection_id=hist&resource_name=record`)).json.data;
    expect(page.data).toEqual(server);
    const created = await firstValueFrom(
      bucket.listHistory({ filters: { action: "create", resource_name: "collection", collection_id: "hist" } }),
    );
    expect(created.data).toHaveLength(1);
  });
});
