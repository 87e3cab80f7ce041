/**
 * Reliability of paginated reads: 5,000 records (1,000 on PostgreSQL) read through the fault proxy (10% of requests
 * faulted, three seeds), and cancellation of a page in flight. A dedicated server pages by 100.
 */
import { lastValueFrom, map, tap, toArray, type Subscription } from "rxjs";
import { KintoHttpError, NetworkError, records, UnparseableResponseError, type Page, type KintoRecord } from "../../src";
import { startKinto, type KintoServer } from "../server/kinto-server";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, rawAll, rawAt, seedRecords, SEEDS, sleep, TRANSIENT, until } from "./support";
import { sized } from "../helpers";

const BUCKET = "reads";
const CID = "big";
const PATH = `/buckets/${BUCKET}/collections/${CID}/records`;
const COUNT = sized(5000);
// 50 pages on either topology: as many requests, so as many faults, with fewer records to seed.
const PAGE = COUNT / 50;

let server: KintoServer;
/** The ids in the client's default order (`-last_modified`), read raw before any test. */
let expected: string[];

beforeAll(async () => {
  server = await startKinto({ paginateBy: PAGE });
  expect((await rawAt(server.url, "PUT", `/buckets/${BUCKET}`)).status).toBe(201);
  expect((await rawAt(server.url, "PUT", `/buckets/${BUCKET}/collections/${CID}`)).status).toBe(201);
  await seedRecords(server.url, PATH, COUNT);
  expected = (await rawAll(server.url, `${PATH}?_sort=-last_modified`)).map((r) => r.id);
  expect(new Set(expected).size).toBe(COUNT);
}, 120_000);

afterAll(() => server?.stop());

/** The server still holds the seeded records, untouched. */
async function expectUntouched(): Promise<void> {
  expect((await rawAll(server.url, `${PATH}?_sort=-last_modified`)).map((r) => r.id)).toEqual(expected);
}

describe.each(SEEDS)(`paginated read of ${COUNT} records, 10%% of requests faulted (seed %i)`, (seed) => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await proxyFor(server.url, { seed, rate: 0.1, faults: TRANSIENT, retryAfter: "0" });
  });
  afterEach(() => proxy.close());

  it("with retries, emits every record exactly once, in order", async () => {
    const client = proxiedClient(proxy, { retry: 10, retryPolicy: { baseDelay: 5 } }, server.url);
    const listing = client.bucket(BUCKET).collection(CID).listRecords({ pages: Infinity });
    const ids = await lastValueFrom(
      listing.pipe(
        records(),
        map((r) => r.id),
        toArray(),
      ),
    );
    expect(ids).toEqual(expected);
    const faulted = proxy.stats.requests - proxy.stats.faults.none;
    expect(faulted).toBeGreaterThan(0);
    // One request per page, plus one per fault (each fault was retried once more).
    expect(proxy.stats.requests).toBe(COUNT / PAGE + faulted);
    await expectUntouched();
  });

  it("without retries, ends with a typed error after whole pages only (no gap, no duplicate)", async () => {
    const client = proxiedClient(proxy, {}, server.url);
    const ids: string[] = [];
    const listing = client.bucket(BUCKET).collection(CID).listRecords({ pages: Infinity });
    const error = await lastValueFrom(
      listing.pipe(
        records(),
        tap((r) => ids.push(r.id)),
      ),
    ).then(
      () => undefined,
      (e: unknown) => e,
    );
    const firstFault = proxy.stats.log.findIndex((entry) => entry.fault !== "none");
    expect(firstFault).toBeGreaterThanOrEqual(0);
    expect([KintoHttpError, NetworkError, UnparseableResponseError].some((type) => error instanceof type)).toBe(true);
    // Every page before the faulted request, nothing after it.
    expect(ids.length % PAGE).toBe(0);
    expect(ids.length).toBe(firstFault * PAGE);
    expect(ids).toEqual(expected.slice(0, ids.length));
    expect(proxy.stats.requests).toBe(firstFault + 1);
    await expectUntouched();
  });
});

describe("unsubscribing from pages", () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await proxyFor(server.url, { delayMs: 10_000 });
  });
  afterEach(() => proxy.close());

  it("aborts the page in flight and requests nothing more", async () => {
    const client = proxiedClient(proxy, {}, server.url);
    proxy.next("none", "none", "delay");
    const received: Page<KintoRecord>[] = [];
    const subscription: Subscription = client
      .bucket(BUCKET)
      .collection(CID)
      .listRecords({ pages: Infinity })
      .subscribe({ next: (page) => received.push(page), error: (e) => fail(e) });
    await until(() => proxy.stats.requests === 3, "the third page request");
    subscription.unsubscribe();
    await until(() => proxy.stats.clientAborts === 1, "the proxy to see the abort");
    await sleep(300);
    expect(proxy.stats.requests).toBe(3);
    expect(proxy.stats.forwarded).toBe(2);
    expect(received.map((p) => p.data.length)).toEqual([PAGE, PAGE]);
    await expectUntouched();
  });
});
