/**
 * Collections against the real server, continued: listRecords({at}) snapshots from history,
 * attachments, typed records, the options cascade and hostile ids.
 */
import { createHash } from "node:crypto";
import * as t from "io-ts";
import { firstValueFrom, lastValueFrom, toArray, type Observable } from "rxjs";
import { InvalidArgumentError, KintoHttpError, PayloadValidationError, type Collection } from "../../src";
import { countingFetch, raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("collx");
const base = (cid: string) => `/buckets/${BUCKET}/collections/${cid}`;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
});

/** A fetch recording the URL, method and headers of each request, delegating to the global fetch. */
function capturingFetch() {
  const sent: { url: string; method: string; headers: Record<string, string> }[] = [];
  let failures = 0;
  const capture = ((url: string, init: RequestInit = {}) => {
    sent.push({ url, method: init.method ?? "GET", headers: { ...(init.headers as Record<string, string>) } });
    if (failures > 0) {
      failures--;
      return Promise.reject(new TypeError("fetch failed (injected)"));
    }
    return fetch(url, init);
  }) as typeof fetch;
  return { fetch: capture, sent, failNext: (n: number) => (failures = n) };
}

describe("listRecords({at}): snapshots rebuilt from history", () => {
  it("lists the records as they were at each timestamp", async () => {
    const coll = testClient().bucket(BUCKET).collection("snap");
    await firstValueFrom(testClient().bucket(BUCKET).createCollection("snap"));
    await firstValueFrom(coll.createRecord({ id: "a", v: 1 }));
    await firstValueFrom(coll.createRecord({ id: "b", v: 1 }));
    const t1 = Number(JSON.parse((await firstValueFrom(coll.getRecordsTimestamp()))!));
    await firstValueFrom(coll.updateRecord({ id: "a", v: 2 }));
    await firstValueFrom(coll.deleteRecord("b"));
    await firstValueFrom(coll.createRecord({ id: "c", v: 1 }));
    const t2 = Number(JSON.parse((await firstValueFrom(coll.getRecordsTimestamp()))!));

    const pages1 = await lastValueFrom(coll.listRecords({ at: t1 }).pipe(toArray()));
    expect(pages1).toHaveLength(1);
    expect(pages1[0]).toMatchObject({ last_modified: String(t1), totalRecords: 2, hasNextPage: false });
    expect(pages1[0].data.map((r) => [r.id, r.v])).toEqual([
      ["b", 1],
      ["a", 1],
    ]);

    const at2 = await firstValueFrom(coll.listRecords({ at: t2 }));
    const now = (await raw("GET", `${base("snap")}/records`)).json.data;
    expect(at2.data).toEqual(now); // same records, same -last_modified order
    await expect(firstValueFrom(at2.next())).rejects.toThrow(InvalidArgumentError);
  });

  it("replaying the history refuses a collection whose creation is not in it", async () => {
    expect((await raw("PUT", base("nohist"))).status).toBe(201);
    const purge = await raw("DELETE", `/buckets/${BUCKET}/history?resource_name=collection&collection_id=nohist`);
    expect(purge.status).toBe(200);
    // As a server without the snapshot endpoint: the snapshot request goes to a route it does not have.
    const withoutSnapshots = ((url: string, init: RequestInit) =>
      fetch(url.replace("/snapshot/", "/snapshot-unknown/"), init)) as typeof fetch;
    const coll = testClient({ fetch: withoutSnapshots }).bucket(BUCKET).collection("nohist");
    await expect(firstValueFrom(coll.listRecords({ at: Date.now() }))).rejects.toThrow(/history has no creation/);
  });

  it.each([0, -5, 1.5, NaN])("refuses at=%p before any request", async (at) => {
    const counter = countingFetch();
    const coll = testClient({ fetch: counter.fetch }).bucket(BUCKET).collection("snap");
    await expect(firstValueFrom(coll.listRecords({ at }))).rejects.toThrow(InvalidArgumentError);
    expect(counter.count()).toBe(0);
  });
});

describe("attachments (kinto-attachment)", () => {
  const text = "Hello, attachment!";
  const dataURL = `data:text/plain;name=hello.txt;base64,${Buffer.from(text).toString("base64")}`;
  const sha256 = createHash("sha256").update(text).digest("hex");
  let coll: Collection;
  beforeAll(async () => {
    expect((await raw("PUT", base("files"))).status).toBe(201);
    coll = testClient().bucket(BUCKET).collection("files");
  });

  it("addAttachment without id creates a record with a generated id and the attachment", async () => {
    const { data } = await firstValueFrom(coll.addAttachment(dataURL, { title: "First post" }));
    expect(data.id).toMatch(/^[0-9a-f-]{36}$/);
    const server = (await raw("GET", `${base("files")}/records/${data.id}`)).json.data;
    expect(server).toEqual(data);
    expect(server).toMatchObject({
      title: "First post",
      attachment: { filename: "hello.txt", mimetype: "text/plain", size: text.length, hash: sha256 },
    });
  });

  it("addAttachment with id, filename and permissions; removeAttachment clears it", async () => {
    const envelope = await firstValueFrom(
      coll.addAttachment(
        dataURL,
        { id: "post-1", title: "Renamed" },
        { filename: "notes.txt", permissions: { read: ["system.Everyone"] } },
      ),
    );
    expect(envelope.permissions?.read).toEqual(["system.Everyone"]);
    let server = await raw("GET", `${base("files")}/records/post-1`);
    expect(server.json.data.attachment).toMatchObject({ filename: "notes.txt", hash: sha256 });
    expect(server.json.permissions.read).toEqual(["system.Everyone"]);
    const emitted = await lastValueFrom(coll.removeAttachment("post-1").pipe(toArray()));
    expect(emitted).toEqual([undefined]);
    server = await raw("GET", `${base("files")}/records/post-1`);
    expect(server.json.data.attachment).toBeNull();
    expect(server.json.data.title).toBe("Renamed");
  });

  it("refuses a data URL without file name, and safe with a stale last_modified gets 412", async () => {
    const counter = countingFetch();
    const counted = testClient({ fetch: counter.fetch }).bucket(BUCKET).collection("files");
    await expect(firstValueFrom(counted.addAttachment("data:text/plain;base64,SGk=", {}))).rejects.toThrow(InvalidArgumentError);
    await expect(firstValueFrom(counted.addAttachment("not a data url", {}))).rejects.toThrow(InvalidArgumentError);
    expect(counter.count()).toBe(0);
    const current = (await raw("GET", `${base("files")}/records/post-1`)).json.data;
    const error = await firstValueFrom(
      coll.addAttachment(dataURL, { id: "post-1" }, { safe: true, last_modified: current.last_modified - 1 }),
    ).catch((e) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error.status).toBe(412);
    expect(error.existing).toEqual(current);
    // safe without last_modified: only when the record does not exist yet.
    await expect(firstValueFrom(coll.addAttachment(dataURL, { id: "post-1" }, { safe: true }))).rejects.toMatchObject({ status: 412 });
    expect((await raw("GET", `${base("files")}/records/post-1`)).json.data).toEqual(current);
    const created = await firstValueFrom(coll.addAttachment(dataURL, { id: "post-2" }, { safe: true }));
    expect((await raw("GET", `${base("files")}/records/post-2`)).json.data).toEqual(created.data);
  });
});

describe("typed records", () => {
  const Post = t.type({ title: t.string, views: t.number });
  beforeAll(async () => {
    expect((await raw("PUT", base("typed"))).status).toBe(201);
    await raw("PUT", `${base("typed")}/records/good`, { data: { title: "ok", views: 1 } });
    await raw("PUT", `${base("typed")}/records/bad`, { data: { title: "oops", views: "many" } });
  });
  const typed = () => testClient().bucket(BUCKET).collection("typed", { codec: Post });

  it("decodes matching records with the user's codec", async () => {
    const { data } = await firstValueFrom(typed().getRecord("good"));
    const views: number = data.views; // typed by the codec
    expect(views).toBe(1);
  });

  it("a record that does not match errors with its id and the JSON path", async () => {
    const one = await firstValueFrom(typed().getRecord("bad")).catch((e) => e);
    expect(one).toBeInstanceOf(PayloadValidationError);
    expect(one.context).toContain("/records/bad");
    expect(one.issues).toEqual([expect.objectContaining({ path: "$.data.views", expected: "number", actual: '"many"' })]);
    const listed = await firstValueFrom(typed().listRecords({ sort: "title" })).catch((e) => e);
    expect(listed).toBeInstanceOf(PayloadValidationError);
    expect(listed.context).toContain('"bad"');
    expect(listed.issues.map((i: { path: string }) => i.path)).toEqual(["$.data[1].views"]);
    const now = Number(JSON.parse((await firstValueFrom(typed().getRecordsTimestamp()))!));
    const snap = await firstValueFrom(typed().listRecords({ at: now })).catch((e) => e);
    expect(snap).toBeInstanceOf(PayloadValidationError);
    expect(snap.context).toContain('record "bad"');
  });
});

describe("options cascade client → bucket → collection → call", () => {
  it("headers merge and the nearest level wins, on every page", async () => {
    expect((await raw("PUT", base("cascade"))).status).toBe(201);
    for (const id of ["r1", "r2", "r3"]) await raw("PUT", `${base("cascade")}/records/${id}`, { data: {} });
    const capture = capturingFetch();
    const client = testClient({ fetch: capture.fetch, headers: { "X-Client": "client", "X-Level": "client" } });
    const coll = client
      .bucket(BUCKET, { headers: { "X-Bucket": "bucket", "X-Level": "bucket" } })
      .collection("cascade", { headers: { "X-Collection": "collection", "X-Level": "collection" } });
    await lastValueFrom(coll.listRecords({ limit: 2, pages: Infinity, headers: { "X-Call": "call", "X-Level": "call" } }));
    expect(capture.sent).toHaveLength(2);
    for (const { headers } of capture.sent) {
      expect(headers).toMatchObject({
        "X-Client": "client",
        "X-Bucket": "bucket",
        "X-Collection": "collection",
        "X-Call": "call",
        "X-Level": "call",
      });
    }
    await firstValueFrom(coll.getRecord("r1"));
    expect(capture.sent[2].headers["X-Level"]).toBe("collection");
  });

  it("safe from the collection level, overridden by the call", async () => {
    const capture = capturingFetch();
    const coll = testClient({ fetch: capture.fetch }).bucket(BUCKET).collection("cascade", { safe: true });
    await expect(firstValueFrom(coll.createRecord({ id: "r1", x: 1 }))).rejects.toMatchObject({ status: 412 });
    expect(capture.sent[0].headers["If-None-Match"]).toBe("*");
    await firstValueFrom(coll.createRecord({ id: "r1", x: 2 }, { safe: false }));
    expect(capture.sent[1].headers).not.toHaveProperty("If-None-Match");
    expect((await raw("GET", `${base("cascade")}/records/r1`)).json.data.x).toBe(2);
  });

  it("retry from the bucket level, overridden by the call", async () => {
    const capture = capturingFetch();
    const coll = testClient({ fetch: capture.fetch, retryPolicy: { baseDelay: 1 } })
      .bucket(BUCKET, { retry: 1 })
      .collection("cascade");
    capture.failNext(1);
    expect((await firstValueFrom(coll.getRecord("r1"))).data.id).toBe("r1");
    expect(capture.sent).toHaveLength(2);
    capture.failNext(1);
    await expect(firstValueFrom(coll.getRecord("r1", { retry: 0 }))).rejects.toThrow(/injected/);
    expect(capture.sent).toHaveLength(3);
  });
});

describe("hostile ids", () => {
  it.each([".", "..", ""])("refuses %p before any request", async (id) => {
    const counter = countingFetch();
    const client = testClient({ fetch: counter.fetch });
    const coll = client.bucket(BUCKET).collection("hostile");
    const calls: Observable<unknown>[] = [
      coll.getRecord(id),
      coll.createRecord({ id }),
      coll.updateRecord({ id }),
      coll.deleteRecord(id),
      coll.removeAttachment(id),
      client.bucket(BUCKET).collection(id).listRecords(),
      client.bucket(id).getData(),
      client.bucket(BUCKET).deleteCollection(id),
    ];
    for (const call of calls) await expect(firstValueFrom(call)).rejects.toThrow(InvalidArgumentError);
    expect(counter.count()).toBe(0);
  });

  it.each(["a/b", "..%2F..", "?x", "#y", "%2F", "with space", "é日本"])(
    "sends %p as one encoded segment, touching nothing else",
    async (id) => {
      expect((await raw("PUT", base("hostile"))).status).toBeLessThan(300);
      const before = (await raw("GET", `/buckets/${BUCKET}/collections?_sort=id`)).json.data;
      const counter = countingFetch();
      const coll = testClient({ fetch: counter.fetch }).bucket(BUCKET).collection("hostile");
      const error = await firstValueFrom(coll.createRecord({ id, x: 1 })).catch((e) => e);
      expect(counter.urls).toEqual([`${process.env.KINTO_URL}${base("hostile")}/records/${encodeURIComponent(id)}`]);
      // Kinto refuses these ids (400 invalid id, or 404 once its router decoded %2F): nothing is written.
      expect(error).toBeInstanceOf(KintoHttpError);
      expect([400, 404]).toContain(error.status);
      expect((await raw("GET", `${base("hostile")}/records`)).json.data).toEqual([]);
      expect((await raw("GET", `/buckets/${BUCKET}/collections?_sort=id`)).json.data).toEqual(before);
    },
  );
});
