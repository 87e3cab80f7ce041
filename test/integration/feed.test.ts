/**
 * The live feed against the real Kinto server: a concurrent writer, idle 304 polls, cancellation,
 * transient faults (through the fault proxy) and Backoff.
 */
import { lastValueFrom, take, toArray, type Subscription } from "rxjs";
import { KintoHttpError, type Change, type KintoRecord } from "../../src";
import { startFaultProxy, type FaultProxy } from "../faults/proxy";
import { kintoUrl, raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("feed");
const records = (cid: string) => `/buckets/${BUCKET}/collections/${cid}/records`;

interface Sent {
  method: string;
  url: string;
  ifNoneMatch?: string;
  at: number;
  status?: number;
}

/** A fetch that logs each request (method, URL, If-None-Match, time) and its status. */
function loggingFetch(): { fetch: typeof fetch; log: Sent[] } {
  const log: Sent[] = [];
  const logged = (async (input: string, init?: RequestInit) => {
    const headers = (init?.headers ?? {}) as Record<string, string>;
    const entry: Sent = { method: init?.method ?? "GET", url: String(input), ifNoneMatch: headers["If-None-Match"], at: Date.now() };
    log.push(entry);
    const response = await fetch(input, init);
    entry.status = response.status;
    return response;
  }) as typeof fetch;
  return { fetch: logged, log };
}

/** Resolves once `condition` holds (checked every 10 ms); fails after `ms`. */
async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Every object of a list, following Next-Page, straight from the server. */
async function rawAll(path: string): Promise<any[]> {
  const all: any[] = [];
  let next: string | null = path;
  while (next) {
    const { status, headers, json } = await raw("GET", next);
    expect(status).toBe(200);
    all.push(...json.data);
    const url = headers.get("Next-Page");
    next = url ? url.slice(kintoUrl().length) : null;
  }
  return all;
}

/** The requests that got a response (the last one may have been aborted by the unsubscribe). */
const answered = (log: Sent[]) => log.filter((s) => s.status !== undefined);

const key = (c: { id: string; last_modified: number }) => `${c.id}@${c.last_modified}`;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBeLessThan(300);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

describe("watchRecords against the real server", () => {
  it("emits exactly the changes of a concurrent writer, in last_modified order, each once", async () => {
    const cid = "live";
    await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
    for (let i = 0; i < 5; i++) await raw("PUT", `${records(cid)}/s${i}`, { data: { seeded: i } });
    const before = (await raw("HEAD", records(cid))).headers.get("ETag")!.replace(/"/g, "");

    const { fetch: logged, log } = loggingFetch();
    const emitted: Change<KintoRecord>[] = [];
    const subscription = testClient({ fetch: logged })
      .bucket(BUCKET)
      .collection(cid)
      .watchRecords({ interval: 50 })
      .subscribe({ next: (c) => emitted.push(c), error: (e) => fail(e) });
    await until(() => log.some((s) => s.method === "GET" && s.status !== undefined), "the first poll");

    // The writer: every write's response is a change the feed must emit.
    const writes: any[] = [];
    const write = async (method: string, path: string, body?: unknown) => {
      const { status, json } = await raw(method, path, body);
      expect(status).toBeLessThan(300);
      writes.push(json.data);
    };
    // A record is changed again only once the feed saw its previous version: `_since` returns the
    // latest state of each record, so two changes between polls would be one.
    const seen = (id: string) =>
      until(() => emitted.some((c) => key(c) === key(writes.filter((w) => w.id === id).at(-1))), `feed to see ${id}`);
    for (let i = 0; i < 20; i++) await write("PUT", `${records(cid)}/w${i}`, { data: { n: i } });
    const batch = Array.from({ length: 15 }, (_, i) => ({ method: "PUT", path: `${records(cid)}/b${i}`, body: { data: { b: i } } }));
    const { status, json } = await raw("POST", "/batch", { requests: batch });
    expect(status).toBe(200);
    writes.push(...json.responses.map((r: any) => r.body.data));
    for (let i = 0; i < 10; i++) {
      await seen(`w${i}`);
      await write("PATCH", `${records(cid)}/w${i}`, { data: { updated: true } });
    }
    for (const id of ["w10", "w11", "w12", "w13", "w14", "s0", "s1"]) {
      if (id.startsWith("w")) await seen(id);
      await write("DELETE", `${records(cid)}/${id}`);
    }
    for (let i = 0; i < 8; i++) {
      await seen(`b${i}`);
      await write(i < 4 ? "PATCH" : "DELETE", `${records(cid)}/b${i}`, i < 4 ? { data: { touched: true } } : undefined);
    }
    expect(writes).toHaveLength(60);

    await until(() => emitted.length >= 60, "60 changes");
    // Idle polls (If-None-Match) cost one 304 each; the window's re-reads (no If-None-Match, every
    // window / 2 for a while after the last change) may fall between them and answer 200.
    const idle = () => answered(log).filter((s) => s.ifNoneMatch !== undefined);
    const polls = idle().length;
    await until(() => idle().length >= polls + 3, "three more idle polls");
    subscription.unsubscribe();

    const expected = [...writes].sort((a, b) => a.last_modified - b.last_modified);
    expect(emitted).toEqual(expected);
    expect(new Set(emitted.map(key)).size).toBe(60);
    expect(emitted.filter((c) => "deleted" in c && c.deleted)).toHaveLength(11);
    // The server's own view: the latest change of each record since the feed started.
    const latest = new Map(emitted.map((c) => [c.id, c]));
    const server = await rawAll(`${records(cid)}?_since=${before}&_sort=last_modified`);
    expect(server).toEqual([...latest.values()].sort((a, b) => a.last_modified - b.last_modified));
    expect((await rawAll(records(cid))).map((r) => r.id).sort()).toEqual(
      [
        "s2",
        "s3",
        "s4",
        ...[...Array(20).keys()].filter((i) => i < 10 || i >= 15).map((i) => `w${i}`),
        ...[0, 1, 2, 3, ...[...Array(7).keys()].map((i) => i + 8)].map((i) => `b${i}`),
      ].sort(),
    );
    expect(
      idle()
        .slice(-3)
        .map((s) => s.status),
    ).toEqual([304, 304, 304]);
  });

  it("with `since`, catches up through every page, in order, and stops once unsubscribed", async () => {
    const cid = "catch-up";
    await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
    const since = (await raw("HEAD", records(cid))).headers.get("ETag")!;
    const requests = Array.from({ length: 25 }, (_, i) => ({ method: "PUT", path: `${records(cid)}/r${i}`, body: { data: { i } } }));
    expect((await raw("POST", "/batch", { requests })).status).toBe(200);

    const { fetch: logged, log } = loggingFetch();
    const feed = testClient({ fetch: logged }).bucket(BUCKET).collection(cid).watchRecords({ since, interval: 50 });
    const changes = await lastValueFrom(feed.pipe(take(25), toArray()));

    expect(changes).toEqual(await rawAll(`${records(cid)}?_sort=last_modified`));
    expect(log.map((s) => [s.method, s.status, /_token=/.test(s.url)])).toEqual([
      ["GET", 200, false],
      ["GET", 200, true],
      ["GET", 200, true],
    ]);
    await sleep(200);
    expect(log).toHaveLength(3);
  });

  it("an idle poll is one 304 once the window's re-reads are over, and unsubscribing stops the polls", async () => {
    const cid = "idle";
    await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
    await raw("PUT", `${records(cid)}/only`, { data: {} });
    const { fetch: logged, log } = loggingFetch();
    const emitted: unknown[] = [];
    const subscription: Subscription = testClient({ fetch: logged })
      .bucket(BUCKET)
      .collection(cid)
      .watchRecords({ interval: 20, window: 100 })
      .subscribe((c) => emitted.push(c));
    // The window's re-reads run for up to 1.5 × window after the list's ETag last moved; then only
    // 304s. Wait for five polls after the last re-read (bounded by `until`: re-reads that never
    // ended would fail here), and eight idle polls in all.
    const afterRereads = () => {
      const polls = answered(log).slice(1);
      let last = -1;
      polls.forEach((poll, i) => {
        if (poll.ifNoneMatch === undefined) last = i;
      });
      return polls.slice(last + 1);
    };
    await until(
      () => afterRereads().length >= 5 && answered(log).filter((s) => s.status === 304).length >= 8,
      "five polls after the window's re-reads, eight idle polls",
    );
    subscription.unsubscribe();
    const sent = log.length;

    const etag = (await raw("HEAD", records(cid))).headers.get("ETag")!;
    const timestamp = Number(etag.replace(/"/g, ""));
    expect(log[0]).toMatchObject({ method: "HEAD", status: 200 });
    const polls = answered(log).slice(1);
    const rereads = polls.filter((poll) => poll.ifNoneMatch === undefined);
    expect(rereads.length).toBeGreaterThanOrEqual(1);
    expect(rereads.length).toBeLessThanOrEqual(4);
    for (const poll of rereads)
      expect(poll).toMatchObject({ method: "GET", status: 200, url: expect.stringContaining(`_since=${timestamp - 100}`) });
    for (const poll of polls.filter((p) => p.ifNoneMatch !== undefined)) {
      expect(poll).toMatchObject({ method: "GET", status: 304, ifNoneMatch: etag });
      expect(poll.url).toContain(`_since=${timestamp}`);
    }
    // Once quiet, nothing but 304s.
    expect(polls.slice(-5).map((p) => p.status)).toEqual([304, 304, 304, 304, 304]);
    expect(emitted).toEqual([]);
    await sleep(300);
    expect(log).toHaveLength(sent);
  });

  it("with filters, other records' changes cost one empty page, then polls are 304 again", async () => {
    const cid = "filtered";
    await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
    const { fetch: logged, log } = loggingFetch();
    const emitted: Change<KintoRecord>[] = [];
    const subscription = testClient({ fetch: logged })
      .bucket(BUCKET)
      .collection(cid)
      .watchRecords({ interval: 30, filters: { kind: "wanted" } })
      .subscribe((c) => emitted.push(c));
    await until(() => log.some((s) => s.status === 304), "an idle poll");
    const wanted = (await raw("PUT", `${records(cid)}/a`, { data: { kind: "wanted" } })).json.data;
    await raw("PUT", `${records(cid)}/b`, { data: { kind: "other" } });
    await until(() => emitted.length === 1, "the wanted record");
    const polls = answered(log).length;
    await until(() => answered(log).length >= polls + 4, "four more polls");
    subscription.unsubscribe();
    expect(emitted).toEqual([wanted]);
    expect(
      answered(log)
        .slice(-2)
        .map((s) => s.status),
    ).toEqual([304, 304]);
  });

  it("ends with the server's error on a non-transient failure, without retrying", async () => {
    const { fetch: logged, log } = loggingFetch();
    const feed = testClient({ fetch: logged }).bucket(uniqueName("missing")).collection("c").watchRecords({ interval: 10 });
    const error = await lastValueFrom(feed).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect((error as KintoHttpError).status).toBeGreaterThanOrEqual(400);
    expect((error as KintoHttpError).status).toBeLessThan(500);
    expect(log).toHaveLength(1);
  });
});

describe("watchRecords through a faulty network", () => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    const origin = new URL(kintoUrl()).origin;
    proxy = await startFaultProxy({
      upstream: origin,
      retryAfter: "0",
      backoffSeconds: 1,
      delayMs: 10_000,
      filter: (r) => r.method === "GET",
    });
  });
  afterEach(() => proxy.close());
  const remote = () => kintoUrl().replace(new URL(kintoUrl()).origin, proxy.url);

  it("retries transient faults and still emits every change once, in order", async () => {
    const cid = "faults";
    await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
    const since = (await raw("HEAD", records(cid))).headers.get("ETag")!;
    const { fetch: logged } = loggingFetch();
    const client = testClient({
      fetch: ((url: string, init: RequestInit) => logged(url.replace(kintoUrl(), remote()), init)) as typeof fetch,
    });
    const writes: any[] = [];
    for (let i = 0; i < 12; i++) writes.push((await raw("PUT", `${records(cid)}/r${i}`, { data: { i } })).json.data);
    proxy.next("503", "reset-before", "truncate", "invalid-json", "none", "reset-after", "503");
    const feed = client
      .bucket(BUCKET)
      .collection(cid)
      .watchRecords({ since, interval: 20, retryPolicy: { baseDelay: 10 }, limit: 5 });
    const changes = await lastValueFrom(feed.pipe(take(12), toArray()));
    expect(changes).toEqual(writes);
    expect(proxy.stats.faults).toMatchObject({ "503": 2, "reset-before": 1, truncate: 1, "invalid-json": 1, "reset-after": 1 });
  });

  it("sends nothing while the server's Backoff is in force", async () => {
    const cid = "backoff";
    await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
    const { fetch: logged, log } = loggingFetch();
    const client = testClient({
      fetch: ((url: string, init: RequestInit) => logged(url.replace(kintoUrl(), remote()), init)) as typeof fetch,
    });
    let release = 0;
    client.backoff$.subscribe((at) => (release = Math.max(release, at)));
    const since = (await raw("HEAD", records(cid))).headers.get("ETag")!;
    proxy.next("none", "backoff");
    const subscription = client.bucket(BUCKET).collection(cid).watchRecords({ since, interval: 20 }).subscribe();
    await until(() => log.length >= 4, "four polls");
    subscription.unsubscribe();
    expect(release).toBeGreaterThan(0);
    expect(log[1].status).toBe(304);
    // The third poll waited for the release time (20 ms of tolerance for clock granularity), not 20 ms.
    expect(log[2].at).toBeGreaterThanOrEqual(release - 20);
  });

  it("unsubscribing aborts the request in flight", async () => {
    const cid = "abort";
    await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
    const client = testClient({
      fetch: ((url: string, init: RequestInit) => fetch(url.replace(kintoUrl(), remote()), init)) as typeof fetch,
    });
    proxy.next("delay");
    const subscription = client.bucket(BUCKET).collection(cid).watchRecords({ since: 1 }).subscribe();
    await until(() => proxy.stats.requests === 1, "the request to reach the proxy");
    subscription.unsubscribe();
    await until(() => proxy.stats.clientAborts === 1, "the proxy to see the abort");
    expect(proxy.stats.forwarded).toBe(0);
  });
});
