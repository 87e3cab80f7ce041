/**
 * Reliability of uploads: 5,000 records (1,000 on PostgreSQL) uploaded through the fault proxy (10% of `/batch` requests
 * faulted, "reset-after" included: the server committed, the client never heard; three seeds),
 * cancellation, and the server's Backoff. A dedicated server pages by 100 for the raw reads.
 */
import { filter, lastValueFrom, mergeMap, toArray } from "rxjs";
import type { RecordResult, UploadEvent } from "../../src";
import { kintoBackend, startKinto, type KintoServer } from "../server/kinto-server";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, rawAll, rawAt, SEEDS, sleep, TRANSIENT, until } from "./support";
import { sized } from "../helpers";

const BUCKET = "uploads";
const records = (cid: string, bid = BUCKET) => `/buckets/${bid}/collections/${cid}/records`;
const isBatch = (r: { method: string; url: string }) => r.method === "POST" && r.url.endsWith("/batch");

let server: KintoServer;

beforeAll(async () => {
  server = await startKinto({ paginateBy: 100 });
  expect((await rawAt(server.url, "PUT", `/buckets/${BUCKET}`)).status).toBe(201);
}, 60_000);

afterAll(() => server?.stop());

async function collection(cid: string): Promise<void> {
  expect((await rawAt(server.url, "PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
}

function* rows(count: number, closed?: { value: boolean }): Generator<Record<string, unknown>> {
  try {
    for (let n = 0; n < count; n++) yield { n, title: `row ${n}` };
  } finally {
    if (closed) closed.value = true;
  }
}

const COUNT = sized(5000);
// On PostgreSQL, concurrent batches into one collection collide (409, rolled back, resent): the
// count of /batch requests below would then depend on timing. Those resends: batch-rollback.test.ts.
const CONCURRENCY = kintoBackend() === "postgresql" ? 1 : 2;

describe.each(SEEDS)(`upload of ${COUNT} records, 10%% of /batch requests faulted (seed %i)`, (seed) => {
  // A server of its own: the memory backend's writes get slower with every record it holds.
  let own: KintoServer;
  let proxy: FaultProxy;
  beforeAll(async () => {
    own = await startKinto({ paginateBy: 100 });
    proxy = await proxyFor(own.url, { seed, rate: 0.1, faults: TRANSIENT, retryAfter: "0", filter: isBatch });
  }, 60_000);
  afterAll(async () => {
    await proxy?.close();
    await own?.stop();
  });

  it("the server holds each record exactly once and the client reports every one created", async () => {
    const [bid, cid] = [BUCKET, "big"];
    expect((await rawAt(own.url, "PUT", `/buckets/${bid}`)).status).toBe(201);
    expect((await rawAt(own.url, "PUT", `/buckets/${bid}/collections/${cid}`)).status).toBe(201);
    const client = proxiedClient(proxy, { retryPolicy: { baseDelay: 5 } }, own.url);
    const upload = client.bucket(bid).collection(cid).uploadRecords(rows(COUNT), { retry: 10, concurrency: CONCURRENCY });
    const results: RecordResult[] = await lastValueFrom(
      upload.pipe(
        filter((e): e is Extract<UploadEvent, { type: "chunk" }> => e.type === "chunk"),
        mergeMap((e) => e.results),
        toArray(),
      ),
    );

    expect(results).toHaveLength(COUNT);
    expect(results.filter((r) => r.status !== "created")).toEqual([]);
    const faults = proxy.stats.faults;
    expect(faults["reset-after"] + faults.truncate + faults["invalid-json"]).toBeGreaterThan(0); // committed, unheard
    expect(proxy.stats.log.filter((e) => isBatch(e)).length).toBe(COUNT / 25 + proxy.stats.requests - faults.none);

    const server_ = await rawAll(own.url, records(cid, bid));
    expect(server_).toHaveLength(COUNT);
    expect(server_.map((r) => r.n).sort((a, b) => a - b)).toEqual([...Array(COUNT).keys()]);
    const byId = new Map(server_.map((r) => [r.id, r]));
    for (const result of results) {
      if (result.status !== "created") continue;
      expect(byId.get(result.id)).toEqual(result.record);
    }
  }, 60_000);
});

describe("uploads: cancellation and Backoff", () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await proxyFor(server.url, { delayMs: 10_000, backoffSeconds: 1, filter: isBatch });
  });
  afterEach(() => proxy.close());

  it("unsubscribing aborts the /batch in flight, sends nothing more and closes the source", async () => {
    const cid = "cancel";
    await collection(cid);
    const client = proxiedClient(proxy, {}, server.url);
    const closed = { value: false };
    proxy.next("none", "delay");
    const events: UploadEvent[] = [];
    const subscription = client
      .bucket(BUCKET)
      .collection(cid)
      .uploadRecords(rows(200, closed), { chunkSize: 25 })
      .subscribe({ next: (e) => events.push(e), error: (e) => fail(e) });
    await until(() => proxy.stats.log.filter(isBatch).length === 2, "the second /batch");
    subscription.unsubscribe();
    await until(() => proxy.stats.clientAborts === 1, "the proxy to see the abort");
    const sent = proxy.stats.requests;
    await sleep(300);
    expect(proxy.stats.requests).toBe(sent);
    expect(proxy.stats.forwarded).toBe(sent - 1); // all but the aborted /batch
    expect(closed.value).toBe(true);
    expect(events.map((e) => e.type)).toEqual(["sent", "chunk", "sent"]);
    expect((await rawAll(server.url, records(cid))).map((r) => r.n).sort((a, b) => a - b)).toEqual([...Array(25).keys()]);
  });

  it("sends no /batch while the server's Backoff is in force", async () => {
    const cid = "backoff";
    await collection(cid);
    const client = proxiedClient(proxy, {}, server.url);
    proxy.next("backoff");
    await lastValueFrom(client.bucket(BUCKET).collection(cid).uploadRecords(rows(75), { chunkSize: 25 }));
    const batches = proxy.stats.log.filter(isBatch);
    expect(batches.map((e) => e.fault)).toEqual(["backoff", "none", "none"]);
    // Backoff: 1 (second) from the first answer; slack for the clock, none for the wait.
    expect(batches[1].at - batches[0].at).toBeGreaterThanOrEqual(900);
    expect(await rawAll(server.url, records(cid))).toHaveLength(75);
  });
});
