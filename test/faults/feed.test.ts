/**
 * Reliability of the live feed: a writer makes 500 changes while the feed polls through the fault
 * proxy (10% of polls faulted, three seeds); cancellation; the server's Backoff. A dedicated server
 * (the memory backend slows down with every record it holds).
 */
import type { Change, KintoRecord } from "../../src";
import { startKinto, type KintoServer } from "../server/kinto-server";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, rawAll, rawAt, SEEDS, sleep, TRANSIENT, until } from "./support";

const BUCKET = "feeds";
const records = (cid: string) => `/buckets/${BUCKET}/collections/${cid}/records`;
const isGet = (r: { method: string }) => r.method === "GET";

let server: KintoServer;

beforeAll(async () => {
  server = await startKinto({ paginateBy: 100 });
  expect((await rawAt(server.url, "PUT", `/buckets/${BUCKET}`)).status).toBe(201);
}, 60_000);

afterAll(() => server?.stop());

/** Creates the collection; returns its records list timestamp (the feed's `since`). */
async function collection(cid: string): Promise<string> {
  expect((await rawAt(server.url, "PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
  return (await rawAt(server.url, "HEAD", records(cid))).headers.get("ETag")!.replace(/"/g, "");
}

const key = (c: { id: string; last_modified: number }) => `${c.id}@${c.last_modified}`;

describe.each(SEEDS)("live feed while a writer makes 500 changes, 10%% of polls faulted (seed %i)", (seed) => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await proxyFor(server.url, { seed, rate: 0.1, faults: TRANSIENT, retryAfter: "0", filter: isGet });
  });
  afterEach(() => proxy.close());

  it("emits exactly those 500 changes, in order, each once", async () => {
    const cid = `seed-${seed}`;
    const since = await collection(cid);
    const emitted: Change<KintoRecord>[] = [];
    const subscription = proxiedClient(proxy, {}, server.url)
      .bucket(BUCKET)
      .collection(cid)
      .watchRecords({ since, interval: 20, retryPolicy: { baseDelay: 5 }, limit: 25 })
      .subscribe({ next: (c) => emitted.push(c), error: (e) => fail(e) });

    // The writer, straight to the server: 50 batches of 10 creates of distinct records.
    const writes: KintoRecord[] = [];
    for (let b = 0; b < 50; b++) {
      const requests = Array.from({ length: 10 }, (_, i) => ({
        method: "PUT",
        path: `/v1${records(cid)}/w${b * 10 + i}`,
        headers: { "If-None-Match": "*" },
        body: { data: { n: b * 10 + i } },
      }));
      const { status, json } = await rawAt(server.url, "POST", "/batch", { requests });
      expect(status).toBe(200);
      for (const r of json.responses) {
        expect(r.status).toBe(201);
        writes.push(r.body.data);
      }
    }
    await until(() => emitted.length >= 500, "500 changes");
    const requests = proxy.stats.requests;
    await until(() => proxy.stats.requests >= requests + 3, "three more polls");
    subscription.unsubscribe();

    expect(emitted).toEqual([...writes].sort((a, b) => a.last_modified - b.last_modified));
    expect(new Set(emitted.map(key)).size).toBe(500);
    expect(proxy.stats.requests - proxy.stats.faults.none).toBeGreaterThan(0);
    // The server's own view of the changes since the feed started.
    expect(await rawAll(server.url, `${records(cid)}?_since=${since}&_sort=last_modified`)).toEqual(emitted);
  }, 60_000);
});

describe("live feed: cancellation and Backoff", () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await proxyFor(server.url, { delayMs: 10_000, backoffSeconds: 1, filter: isGet });
  });
  afterEach(() => proxy.close());

  it("unsubscribing aborts the poll in flight and sends nothing more", async () => {
    const since = await collection("cancel");
    await rawAt(server.url, "PUT", `${records("cancel")}/a`, { data: {} });
    const emitted: unknown[] = [];
    proxy.next("none", "none", "delay");
    const subscription = proxiedClient(proxy, {}, server.url)
      .bucket(BUCKET)
      .collection("cancel")
      .watchRecords({ since, interval: 20 })
      .subscribe({ next: (c) => emitted.push(c), error: (e) => fail(e) });
    await until(() => proxy.stats.requests === 3, "the third poll");
    subscription.unsubscribe();
    await until(() => proxy.stats.clientAborts === 1, "the proxy to see the abort");
    await sleep(300);
    expect(proxy.stats.requests).toBe(3);
    expect(proxy.stats.forwarded).toBe(2);
    expect(emitted).toHaveLength(1);
    expect(await rawAll(server.url, records("cancel"))).toHaveLength(1);
  });

  it("sends nothing while the server's Backoff is in force", async () => {
    const since = await collection("backoff");
    const emitted: Change<KintoRecord>[] = [];
    proxy.next("backoff");
    const subscription = proxiedClient(proxy, {}, server.url)
      .bucket(BUCKET)
      .collection("backoff")
      .watchRecords({ since, interval: 20 })
      .subscribe({ next: (c) => emitted.push(c), error: (e) => fail(e) });
    const written = (await rawAt(server.url, "PUT", `${records("backoff")}/a`, { data: {} })).json.data;
    await until(() => proxy.stats.requests >= 3, "three polls");
    subscription.unsubscribe();
    const polls = proxy.stats.log;
    expect(polls[0].fault).toBe("backoff");
    // Backoff: 1 (second) from the first answer; slack for the clock, none for the wait.
    expect(polls[1].at - polls[0].at).toBeGreaterThanOrEqual(900);
    expect(emitted).toEqual([written]);
    expect(await rawAll(server.url, records("backoff"))).toEqual([written]);
  });
});
