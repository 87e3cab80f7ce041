import { lastValueFrom } from "rxjs";
import { InvalidArgumentError, type AggregateResponse, type BatchResponse } from "../../src";
import { countingFetch, raw, testClient, uniqueName } from "../helpers";

// Not "batch": Kinto refuses any sub-request whose path contains "/batch" (recursion check by substring).
const BUCKET = uniqueName("multi");

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
  for (const c of ["chunks", "aggregate", "bucket", "client", "safe", "refused"]) {
    expect((await raw("PUT", `/buckets/${BUCKET}/collections/${c}`)).status).toBe(201);
  }
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

/** Ids of a collection, as the server holds them, sorted. */
async function serverIds(collection: string): Promise<string[]> {
  const ids: string[] = [];
  let url: string | null = `/buckets/${BUCKET}/collections/${collection}/records?_fields=id`;
  while (url) {
    const { json, headers }: { json: { data: { id: string }[] }; headers: Headers } = await raw("GET", url);
    ids.push(...json.data.map((r) => r.id));
    const next = headers.get("Next-Page");
    url = next ? next.slice(next.indexOf("/buckets/")) : null;
  }
  return ids.sort();
}

describe("collection.batch", () => {
  it("splits 60 operations into 3 POST /batch of at most 25, responses in request order", async () => {
    const counter = countingFetch();
    const collection = testClient({ fetch: counter.fetch }).bucket(BUCKET).collection("chunks");
    const ids = Array.from({ length: 60 }, (_, n) => `r${String(n).padStart(2, "0")}`);
    const responses = await lastValueFrom(
      collection.batch<BatchResponse[]>((batch) => {
        for (const [n, id] of ids.entries()) batch.createRecord({ id, n });
      }),
    );
    expect(counter.count("POST")).toBe(3);
    expect(counter.urls.filter((u) => u.endsWith("/batch"))).toHaveLength(3);
    expect(responses).toHaveLength(60);
    expect(responses.map((r) => r.status)).toEqual(ids.map(() => 201));
    expect(responses.map((r) => (r.body as { data: { id: string; n: number } }).data.n)).toEqual(ids.map((_, n) => n));
    expect(responses[59].path).toBe(`/v1/buckets/${BUCKET}/collections/chunks/records/r59`);
    expect(await serverIds("chunks")).toEqual(ids);
    const total = await raw("HEAD", `/buckets/${BUCKET}/collections/chunks/records`);
    expect(total.headers.get("Total-Records")).toBe("60");
  });

  it("aggregate: true groups published, conflicts (412 with safe), skipped (404) and errors (400)", async () => {
    await raw("PUT", `/buckets/${BUCKET}/collections/aggregate/records/taken`, { data: { owner: "server" } });
    const collection = testClient().bucket(BUCKET).collection("aggregate");
    const result = await lastValueFrom(
      collection.batch<AggregateResponse>(
        (batch) => {
          batch.createRecord({ id: "fresh", title: "new" });
          batch.createRecord({ id: "taken", owner: "client" });
          batch.deleteRecord("missing", { safe: false });
          batch.updateRecord({ id: "bad", last_modified: "not a number" as unknown as number });
        },
        { aggregate: true, safe: true },
      ),
    );
    expect(result.published).toHaveLength(1);
    expect((result.published[0] as { data: { id: string } }).data.id).toBe("fresh");
    expect(result.conflicts).toHaveLength(1);
    expect(result.conflicts[0].type).toBe("outgoing");
    expect(result.conflicts[0].local).toEqual({ data: { id: "taken", owner: "client" } });
    expect(result.conflicts[0].remote).toMatchObject({ id: "taken", owner: "server" });
    expect(result.skipped).toEqual([
      expect.objectContaining({ id: "missing", path: `/v1/buckets/${BUCKET}/collections/aggregate/records/missing` }),
    ]);
    expect(result.errors).toHaveLength(1);
    expect(result.errors[0].path).toBe(`/v1/buckets/${BUCKET}/collections/aggregate/records/bad`);
    expect((result.errors[0].error as { code: number }).code).toBe(400);
    // The server kept its record and created only "fresh".
    expect((await raw("GET", `/buckets/${BUCKET}/collections/aggregate/records/taken`)).json.data.owner).toBe("server");
    expect((await raw("GET", `/buckets/${BUCKET}/collections/aggregate/records/fresh`)).json.data.title).toBe("new");
    expect((await raw("GET", `/buckets/${BUCKET}/collections/aggregate/records/bad`)).status).toBe(404);
  });

  it("safe sends If-None-Match on creates and If-Match on known timestamps; a stale one conflicts", async () => {
    const created = await raw("PUT", `/buckets/${BUCKET}/collections/safe/records/known`, { data: { v: 1 } });
    const lastModified: number = created.json.data.last_modified;
    await raw("PUT", `/buckets/${BUCKET}/collections/safe/records/stale`, { data: { v: 1 } });
    const collection = testClient().bucket(BUCKET).collection("safe");
    const responses = await lastValueFrom(
      collection.batch<BatchResponse[]>(
        (batch) => {
          batch.updateRecord({ id: "known", v: 2, last_modified: lastModified });
          batch.updateRecord({ id: "stale", v: 2, last_modified: 1 });
          batch.createRecord({ id: "known", v: 3 });
        },
        { safe: true },
      ),
    );
    expect(responses.map((r) => r.status)).toEqual([200, 412, 412]);
    const known = await raw("GET", `/buckets/${BUCKET}/collections/safe/records/known`);
    expect(known.json.data.v).toBe(2);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/safe/records/stale`)).json.data.v).toBe(1);
    // Without safe, the same writes overwrite.
    const unsafe = await lastValueFrom(
      collection.batch<BatchResponse[]>((batch) => {
        batch.updateRecord({ id: "stale", v: 9, last_modified: 1 });
      }),
    );
    expect(unsafe.map((r) => r.status)).toEqual([200]);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/safe/records/stale`)).json.data.v).toBe(9);
  });

  it("a call refused before queueing fails the batch and sends nothing", async () => {
    const counter = countingFetch();
    const collection = testClient({ fetch: counter.fetch }).bucket(BUCKET).collection("refused");
    const result = lastValueFrom(
      collection.batch((batch) => {
        batch.createRecord({ id: "ok" });
        batch.deleteRecord("..");
      }),
    );
    await expect(result).rejects.toBeInstanceOf(InvalidArgumentError);
    expect(counter.count("POST")).toBe(0);
    expect(await serverIds("refused")).toEqual([]);
  });
});

describe("bucket.batch and client.batch", () => {
  it("bucket.batch queues collection and record operations of the bucket", async () => {
    const bucket = testClient().bucket(BUCKET);
    const responses = await lastValueFrom(
      bucket.batch<BatchResponse[]>((batch) => {
        batch.createCollection("made-in-batch");
        batch.collection("bucket").createRecord({ id: "b1", from: "bucket" });
      }),
    );
    expect(responses.map((r) => r.status)).toEqual([201, 201]);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/made-in-batch`)).status).toBe(200);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/bucket/records/b1`)).json.data.from).toBe("bucket");
  });

  it("client.batch reaches any bucket; with {bucket, collection} it defaults to that collection", async () => {
    const client = testClient();
    const viaClient = await lastValueFrom(
      client.batch<BatchResponse[]>((batch) => {
        batch.bucket(BUCKET).collection("client").createRecord({ id: "c1" });
      }),
    );
    expect(viaClient.map((r) => r.status)).toEqual([201]);
    const aggregated = await lastValueFrom(
      client.batch<AggregateResponse>((batch) => batch.createRecord({ id: "c2" }), {
        bucket: BUCKET,
        collection: "client",
        aggregate: true,
      }),
    );
    expect(aggregated.published).toHaveLength(1);
    expect(await serverIds("client")).toEqual(["c1", "c2"]);
  });

  it("an empty batch emits [] without any request", async () => {
    const counter = countingFetch();
    const client = testClient({ fetch: counter.fetch });
    expect(await lastValueFrom(client.batch(() => undefined))).toEqual([]);
    expect(counter.count()).toBe(0);
  });
});
