/**
 * Issue 15, finding 9: an upload stops at the first failure that every later chunk would repeat,
 * with one UploadStoppedError naming the cause from the server's `details` and what was confirmed
 * before. Against the real Kinto: a missing collection, a missing bucket, bad credentials, no write
 * permission. Per-record refusals (an invalid record, a conflict) stay results and the upload goes on.
 */
import { lastValueFrom, tap, toArray } from "rxjs";
import { KintoClient, UploadStoppedError, type UploadEvent } from "../../src";
import { countingFetch, kintoUrl, raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("upload-stop");
const records = (n: number) => Array.from({ length: n }, (_, i) => ({ id: `r${String(i).padStart(4, "0")}`, n: i }));

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`, { data: {} })).status).toBeLessThan(300);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/here`, { data: {} })).status).toBeLessThan(300);
});
afterAll(() => raw("DELETE", `/buckets/${BUCKET}`));

/** The upload's events until it fails, and its error. */
async function run(upload: ReturnType<ReturnType<ReturnType<KintoClient["bucket"]>["collection"]>["uploadRecords"]>) {
  const events: UploadEvent[] = [];
  const error = await lastValueFrom(
    upload.pipe(
      tap((e) => events.push(e)),
      toArray(),
    ),
  ).then(
    () => undefined,
    (e: unknown) => e,
  );
  return { events, error };
}

describe("uploads stop at a failure every chunk would repeat", () => {
  it("into a collection that does not exist: one chunk sent, UploadStoppedError naming the collection", async () => {
    const counter = countingFetch();
    const client = testClient({ fetch: counter.fetch });
    const { events, error } = await run(client.bucket(BUCKET).collection("missing").uploadRecords(records(500), { chunkSize: 25 }));
    expect(error).toBeInstanceOf(UploadStoppedError);
    expect(error).toMatchObject({
      reason: "parent-missing",
      resource: "collection",
      chunk: 0,
      progress: { sent: 25, confirmed: 0, failed: 25 },
    });
    expect((error as UploadStoppedError).cause.status).toBe(404);
    expect((error as Error).message).toMatch(/the collection does not exist/);
    expect(counter.count("POST")).toBe(1);
    expect(events.map((e) => e.type)).toEqual(["sent", "chunk"]);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/missing`)).status).toBe(404);
  });

  it("into a bucket that does not exist (403 for an authenticated stranger, or 404): stops after one chunk", async () => {
    const counter = countingFetch();
    const client = testClient({ fetch: counter.fetch });
    const { error } = await run(client.bucket(uniqueName("nowhere")).collection("c").uploadRecords(records(100), { chunkSize: 10 }));
    expect(error).toBeInstanceOf(UploadStoppedError);
    expect(["parent-missing", "forbidden"]).toContain((error as UploadStoppedError).reason);
    expect(counter.count("POST")).toBe(1);
  });

  it("with bad credentials (401 on every record): stops after one chunk", async () => {
    const counter = countingFetch();
    const client = new KintoClient(kintoUrl(), {
      fetch: counter.fetch,
      headers: { Authorization: "Basic " + Buffer.from("nobody").toString("base64") },
    });
    const { error } = await run(client.bucket(BUCKET).collection("here").uploadRecords(records(100), { chunkSize: 10 }));
    expect(error).toBeInstanceOf(UploadStoppedError);
    expect(error).toMatchObject({ reason: "unauthorized" });
    expect(counter.count("POST")).toBe(1);
  });

  it("without write permission (another user, 403 on every record): stops after one chunk, nothing written", async () => {
    const counter = countingFetch();
    const other = new KintoClient(kintoUrl(), {
      fetch: counter.fetch,
      headers: { Authorization: "Basic " + Buffer.from("someone-else:pw").toString("base64") },
    });
    const { error } = await run(other.bucket(BUCKET).collection("here").uploadRecords(records(100), { chunkSize: 10 }));
    expect(error).toBeInstanceOf(UploadStoppedError);
    expect(["forbidden", "parent-missing"]).toContain((error as UploadStoppedError).reason);
    expect(counter.count("POST")).toBe(1);
    expect((await raw("GET", `/buckets/${BUCKET}/collections/here/records`)).json.data).toEqual([]);
  });

  it("reports what was confirmed before the stop: chunks written, then the collection deleted", async () => {
    const client = testClient();
    expect((await raw("PUT", `/buckets/${BUCKET}/collections/vanishing`, { data: {} })).status).toBeLessThan(300);
    let deleted = false;
    async function* source() {
      for (const r of records(60)) {
        if (r.n === 20 && !deleted) {
          deleted = true;
          expect((await raw("DELETE", `/buckets/${BUCKET}/collections/vanishing`)).status).toBe(200);
        }
        yield r;
      }
    }
    const { events, error } = await run(client.bucket(BUCKET).collection("vanishing").uploadRecords(source(), { chunkSize: 10 }));
    expect(error).toMatchObject({ reason: "parent-missing", resource: "collection", progress: { confirmed: 20 } });
    expect(events.filter((e) => e.type === "chunk").length).toBe(3);
  });

  it("an invalid record is still a per-record failure: the upload goes on", async () => {
    const { events, error } = await run(
      testClient()
        .bucket(BUCKET)
        .collection("here")
        .uploadRecords([{ id: "ok1" }, { id: "bad", last_modified: "x" }, { id: "ok2" }], { chunkSize: 1, safe: true }),
    );
    expect(error).toBeUndefined();
    expect(events[events.length - 1].progress).toEqual({ sent: 3, confirmed: 2, failed: 1 });
  });
});
