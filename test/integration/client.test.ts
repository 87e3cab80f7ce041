/**
 * The client against the real server: buckets, permissions endpoint, headers, cold semantics.
 * Bulk deletions run as a user of their own, so no other test file's buckets can be touched.
 */
import { firstValueFrom, lastValueFrom, toArray } from "rxjs";
import { allRecords, KintoHttpError } from "../../src";
import { countingFetch, kintoUrl, raw, testClient, uniqueName } from "../helpers";

const PREFIX = uniqueName("client");
const OWN_USER = "Basic " + Buffer.from(`${PREFIX}:pw`).toString("base64");
const OTHER_USER = "Basic " + Buffer.from(`${PREFIX}-other:pw`).toString("base64");

/** A raw request as `auth` (raw() is always the shared test user). */
async function rawAs(auth: string, method: string, path: string): Promise<{ status: number; json: any }> {
  const response = await fetch(kintoUrl() + path, { method, headers: { Authorization: auth } });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

const own = (options: Parameters<typeof testClient>[0] = {}) =>
  testClient({ ...options, headers: { Authorization: OWN_USER, ...options.headers } });

describe("buckets", () => {
  const ids = [`${PREFIX}-a`, `${PREFIX}-b`, `${PREFIX}-c`];
  beforeAll(async () => {
    for (const id of ids) expect((await rawAs(OWN_USER, "PUT", `/buckets/${id}`)).status).toBe(201);
  });

  it("listBuckets: filters, sort and one page per request", async () => {
    const client = own();
    const first = await firstValueFrom(client.listBuckets({ filters: { in_id: ids }, sort: "id" }));
    expect(first.data.map((b) => b.id)).toEqual(ids);
    const counter = countingFetch();
    const pages = await lastValueFrom(
      own({ fetch: counter.fetch })
        .listBuckets({ filters: { in_id: ids }, sort: "-id", limit: 1, pages: Infinity })
        .pipe(toArray()),
    );
    expect(pages.map((p) => p.data.map((b) => b.id))).toEqual([[ids[2]], [ids[1]], [ids[0]]]);
    expect(counter.count("GET")).toBe(3);
  });

  it("createBucket with an id, data and permissions", async () => {
    const id = `${PREFIX}-made`;
    const { data, permissions } = await firstValueFrom(
      own().createBucket(id, { data: { title: "Made" }, permissions: { read: ["system.Everyone"] } }),
    );
    expect(data).toMatchObject({ id, title: "Made" });
    expect(permissions?.read).toEqual(["system.Everyone"]);
    const server = await rawAs(OWN_USER, "GET", `/buckets/${id}`);
    expect(server.json.data).toEqual(data);
    expect(server.json.permissions.read).toEqual(["system.Everyone"]);
  });

  it("createBucket without id: the server generates it", async () => {
    const { data } = await firstValueFrom(own().createBucket(null, { data: { generated: true } }));
    expect(data.id).toEqual(expect.any(String));
    expect((await rawAs(OWN_USER, "GET", `/buckets/${data.id}`)).json.data).toMatchObject({ id: data.id, generated: true });
  });

  it("safe createBucket of an existing id: 412 with the server's bucket in details", async () => {
    const id = ids[0];
    const before = (await rawAs(OWN_USER, "GET", `/buckets/${id}`)).json.data;
    const error = await firstValueFrom(own().createBucket(id, { safe: true, data: { clobber: true } })).catch((e) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error.status).toBe(412);
    expect((error.details as { existing: unknown }).existing).toEqual(before);
    expect((await rawAs(OWN_USER, "GET", `/buckets/${id}`)).json.data).toEqual(before);
  });

  it("deleteBucket, by id or by object", async () => {
    const client = own();
    await firstValueFrom(client.createBucket(`${PREFIX}-gone1`));
    await firstValueFrom(client.createBucket(`${PREFIX}-gone2`));
    expect((await firstValueFrom(client.deleteBucket(`${PREFIX}-gone1`))).data).toMatchObject({ deleted: true });
    await firstValueFrom(client.deleteBucket({ id: `${PREFIX}-gone2` }));
    for (const id of ["gone1", "gone2"]) expect([403, 404]).toContain((await rawAs(OWN_USER, "GET", `/buckets/${PREFIX}-${id}`)).status);
  });

  it("deleteBuckets deletes only the buckets matching the filters", async () => {
    const client = own();
    for (const id of ["x1", "x2", "keep"])
      await firstValueFrom(client.createBucket(`${PREFIX}-${id}`, { data: { doomed: id !== "keep" } }));
    const tombstones = await firstValueFrom(client.deleteBuckets({ filters: { doomed: true } }));
    expect(tombstones.data.map((t) => t.id).sort()).toEqual([`${PREFIX}-x1`, `${PREFIX}-x2`]);
    const left = (await rawAs(OWN_USER, "GET", `/buckets?_sort=id`)).json.data.map((b: { id: string }) => b.id);
    expect(left).toContain(`${PREFIX}-keep`);
    expect(left).not.toContain(`${PREFIX}-x1`);
    expect(left).toEqual(expect.arrayContaining(ids));
  });

  it("listPermissions lists what the user may do", async () => {
    const entries = await lastValueFrom(own().listPermissions({ pages: Infinity }).pipe(allRecords()));
    const bucket = entries.find((e) => e.resource_name === "bucket" && e.id === ids[1]);
    expect(bucket?.permissions).toEqual(expect.arrayContaining(["write", "read", "collection:create"]));
    const other = await lastValueFrom(
      testClient({ headers: { Authorization: OTHER_USER } })
        .listPermissions({ pages: Infinity })
        .pipe(allRecords()),
    );
    expect(other.some((e) => e.id === ids[1])).toBe(false);
    // The root entry has no id.
    expect(entries.find((e) => e.uri === "/")?.permissions).toEqual(expect.arrayContaining(["bucket:create"]));
  });
});

describe("headers and cold semantics", () => {
  it("setHeaders applies to later requests: the server sees the new user", async () => {
    const client = own();
    const before = await firstValueFrom(client.fetchUser());
    client.setHeaders({ Authorization: OTHER_USER });
    const after = await firstValueFrom(client.fetchUser());
    expect(after?.id).not.toEqual(before?.id);
    const id = `${PREFIX}-by-other`;
    const { permissions } = await firstValueFrom(client.createBucket(id));
    expect(permissions?.write).toEqual([after?.id]);
    expect((await rawAs(OTHER_USER, "GET", `/buckets/${id}`)).status).toBe(200);
    expect((await rawAs(OWN_USER, "GET", `/buckets/${id}`)).status).toBe(403);
  });

  it("building an operation sends nothing; each subscription sends it again", async () => {
    const bucket = uniqueName("cold");
    expect((await raw("PUT", `/buckets/${bucket}`)).status).toBe(201);
    expect((await raw("PUT", `/buckets/${bucket}/collections/c`)).status).toBe(201);
    const counter = countingFetch();
    const create$ = testClient({ fetch: counter.fetch }).bucket(bucket).collection("c").createRecord({ title: "cold" });
    await new Promise((r) => setTimeout(r, 50));
    expect(counter.count()).toBe(0);
    expect((await raw("GET", `/buckets/${bucket}/collections/c/records`)).json.data).toHaveLength(0);
    const one = await firstValueFrom(create$);
    const two = await firstValueFrom(create$);
    expect(counter.count("POST")).toBe(2);
    expect(one.data.id).not.toEqual(two.data.id);
    expect((await raw("GET", `/buckets/${bucket}/collections/c/records`)).json.data).toHaveLength(2);
  });
});
