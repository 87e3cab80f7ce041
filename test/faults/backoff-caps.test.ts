/**
 * Issue 15, finding 4: a server's Backoff and Retry-After at the extremes. A wait longer than a
 * timer can hold (2^31-1 ms) used to fire after 1 ms (Node's TimeoutOverflowWarning): a feed
 * polled in a loop and an upload sent every batch. Now a Backoff is capped (one day by default,
 * `maxBackoff`), every wait runs on timers that cannot overflow, and each wait is announced on
 * `client.waiting$`. Scripted servers: Kinto itself never sends such values.
 */
import { firstValueFrom, lastValueFrom, take, toArray, type Subscription } from "rxjs";
import { DEFAULT_MAX_BACKOFF, KintoClient, MAX_TIMER_MS, RetryAfterTooLongError, waitFor, type Wait } from "../../src";
import { localServer, sendJson, type LocalServer } from "../security/local-server";
import { sleep, until } from "./support";
import { kintoError, serverInfo, warnings } from "./scripted";
import { current } from "../helpers";

const RECORDS = "/v1/buckets/b/collections/c/records";
let server: LocalServer;
let backoff = "1000000000";

beforeAll(async () => {
  server = await localServer((req, res, body) => {
    const path = (req.url ?? "").split("?")[0];
    if (path === "/v1/") return sendJson(res, 200, serverInfo());
    if (path === "/v1/batch") {
      const requests = (JSON.parse(body) as { requests: { path: string; body: { data: object } }[] }).requests;
      const responses = requests.map((r) => ({
        status: 201,
        path: r.path,
        body: { data: { ...r.body.data, last_modified: 10 } },
        headers: {},
      }));
      return sendJson(res, 200, { responses }, { Backoff: backoff });
    }
    if (path === RECORDS) return sendJson(res, 200, { data: [] }, { ETag: '"10"', Backoff: backoff });
    if (path === `${RECORDS}/busy`)
      return sendJson(res, 503, kintoError(503, 201, "Service Unavailable", "later"), { "Retry-After": "3000000" });
    sendJson(res, 404, kintoError(404, 111, "Not Found", "no route"));
  });
});
afterAll(() => server.close());
beforeEach(() => (server.received.length = 0));

const sent = (path: string) => server.received.filter((r) => r.url.split("?")[0] === path).length;

describe("Backoff beyond a timer's range", () => {
  it("an upload waits (capped at one day) instead of sending every batch, and says so on waiting$", async () => {
    backoff = "1000000000"; // 31 years
    const client = new KintoClient(server.url);
    const waits: Wait[] = [];
    const watching = client.waiting$.subscribe((w) => waits.push(w));
    const warned = warnings();
    const records = Array.from({ length: 6 }, (_, i) => ({ id: `r${i}`, n: i }));
    const upload: Subscription = client
      .bucket("b")
      .collection("c")
      .uploadRecords(records, { chunkSize: 2 })
      .subscribe({ error: () => undefined });
    await until(() => waits.length > 0, "the upload's Backoff wait");
    await sleep(300);
    upload.unsubscribe();
    watching.unsubscribe();
    warned.stop();
    expect(sent("/v1/batch")).toBe(1);
    expect(waits[0]).toMatchObject({ reason: "backoff", request: { method: "POST", path: "/batch" } });
    expect(waits[0].ms).toBeGreaterThan(DEFAULT_MAX_BACKOFF - 60_000);
    expect(waits[0].ms).toBeLessThanOrEqual(DEFAULT_MAX_BACKOFF);
    expect(current(client.backoff$) - Date.now()).toBeLessThanOrEqual(DEFAULT_MAX_BACKOFF);
    expect(warned.names).not.toContain("TimeoutOverflowWarning");
  });

  it("a feed does not poll in a loop under Backoff: 3000000 (3·10⁶ s)", async () => {
    backoff = "3000000";
    const client = new KintoClient(server.url);
    const warned = warnings();
    const feed = client
      .bucket("b")
      .collection("c")
      .watchRecords({ since: 5, interval: 10 })
      .subscribe({ error: () => undefined });
    await sleep(800);
    feed.unsubscribe();
    warned.stop();
    expect(sent(RECORDS)).toBe(1);
    expect(warned.names).not.toContain("TimeoutOverflowWarning");
  });

  it("maxBackoff sets the cap", async () => {
    backoff = "1000000000";
    const client = new KintoClient(server.url, { maxBackoff: 50 });
    const records = Array.from({ length: 4 }, (_, i) => ({ id: `r${i}`, n: i }));
    const events = await lastValueFrom(client.bucket("b").collection("c").uploadRecords(records, { chunkSize: 2 }).pipe(toArray()));
    expect(events.filter((e) => e.type === "chunk")).toHaveLength(2);
    expect(() => new KintoClient(server.url, { maxBackoff: -1 })).toThrow(/maxBackoff/);
  });
});

describe("Retry-After beyond a timer's range", () => {
  it("a retry allowed to wait that long (maxRetryAfter: Infinity) waits instead of retrying at once", async () => {
    const client = new KintoClient(server.url, { retry: 1, retryPolicy: { maxRetryAfter: Infinity } });
    const warned = warnings();
    const waiting = firstValueFrom(client.waiting$);
    const read = client
      .bucket("b")
      .collection("c")
      .getRecord("busy")
      .subscribe({ error: () => undefined });
    const wait = await waiting;
    await sleep(300);
    read.unsubscribe();
    warned.stop();
    expect(sent(`${RECORDS}/busy`)).toBe(1);
    expect(wait).toMatchObject({
      reason: "retry",
      ms: 3_000_000_000,
      request: { method: "GET", path: "/buckets/b/collections/c/records/busy" },
    });
    expect(warned.names).not.toContain("TimeoutOverflowWarning");
  });

  it("by default it is a RetryAfterTooLongError, at once", async () => {
    const client = new KintoClient(server.url, { retry: 1 });
    await expect(lastValueFrom(client.bucket("b").collection("c").getRecord("busy"))).rejects.toBeInstanceOf(RetryAfterTooLongError);
  });
});

describe("waitFor", () => {
  it("holds a delay above 2^31-1 ms on chained timers (no overflow to 1 ms)", async () => {
    const warned = warnings();
    let fired = false;
    const subscription = waitFor(MAX_TIMER_MS + 10).subscribe(() => (fired = true));
    await sleep(100);
    subscription.unsubscribe();
    warned.stop();
    expect(fired).toBe(false);
    expect(warned.names).toEqual([]);
    await expect(lastValueFrom(waitFor(-5).pipe(take(1)))).resolves.toBe(0);
  });
});
