/**
 * Uploads against a real Kinto server, started by this file with a paginate_by that lets one GET
 * list 10,000 records (the shared server pages by 10). Each big upload gets a fresh server: the
 * memory backend slows down as it fills, and the two uploads would pay for each other.
 */
import { filter, lastValueFrom, Observable, tap, toArray, type Subscription } from "rxjs";
import { KintoClient, type UploadEvent, type UploadRecord } from "../../src";
import { kintoBackend, startKinto, type KintoServer } from "../server/kinto-server";
import { AUTH, current, sized, uniqueName } from "../helpers";

const BUCKET = uniqueName("upload");
const TOTAL = sized(10_000);
let base: KintoServer;
let server: KintoServer;

beforeAll(async () => {
  base = server = await startKinto({ paginateBy: 20_000 });
}, 60_000);

afterAll(async () => {
  await base?.stop();
});

/** Runs `test` against a server of its own. */
async function onFreshServer(test: () => Promise<void>): Promise<void> {
  server = await startKinto({ paginateBy: 20_000 });
  try {
    await test();
  } finally {
    await server.stop();
    server = base;
  }
}

/** A request straight to the upload server (not through kinto-rx). */
async function get(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(server.url + path, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = method === "HEAD" ? "" : await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** A fetch that tracks how many POST /batch are in flight at once. */
function trackingFetch(): { fetch: typeof fetch; posts: () => number; maxInFlight: () => number } {
  let inFlight = 0;
  let max = 0;
  let posts = 0;
  const tracked = (async (input: string, init?: RequestInit) => {
    if (init?.method !== "POST") return fetch(input, init);
    posts++;
    max = Math.max(max, ++inFlight);
    try {
      return await fetch(input, init);
    } finally {
      inFlight--;
    }
  }) as typeof fetch;
  return { fetch: tracked, posts: () => posts, maxInFlight: () => max };
}

/** `records` of a new bucket per test: the server's per-bucket history stays small. */
async function collection(name: string, fetchImpl?: typeof fetch) {
  expect((await get("PUT", `/buckets/${BUCKET}-${name}`)).status).toBe(201);
  expect((await get("PUT", `/buckets/${BUCKET}-${name}/collections/records`)).status).toBe(201);
  return new KintoClient(server.url, { headers: { Authorization: AUTH }, fetch: fetchImpl })
    .bucket(`${BUCKET}-${name}`)
    .collection("records");
}

async function serverRecords(name: string): Promise<{ total: number; records: { id: string; n: number }[] }> {
  const head = await get("HEAD", `/buckets/${BUCKET}-${name}/collections/records/records`);
  const list = await get("GET", `/buckets/${BUCKET}-${name}/collections/records/records`);
  expect(list.headers.get("Next-Page")).toBeNull();
  return { total: Number(head.headers.get("Total-Records")), records: list.json.data };
}

function* generated(count: number, yielded: { n: number } = { n: 0 }): Generator<UploadRecord> {
  for (let n = 0; n < count; n++) {
    yielded.n++;
    yield { n, title: `record ${n}` };
  }
}

async function* generatedAsync(count: number): AsyncGenerator<UploadRecord> {
  for (let n = 0; n < count; n++) {
    if (n % 100 === 0) await new Promise((r) => setImmediate(r));
    yield { n, title: `record ${n}` };
  }
}

/** Checks the events of a finished upload of `count` records, returns the created ids. */
function createdIds(events: UploadEvent[], count: number): string[] {
  const chunks = events.flatMap((e) => (e.type === "chunk" ? [e] : []));
  const results = chunks.flatMap((e) => e.results);
  expect(results).toHaveLength(count);
  expect(results.every((r) => r.status === "created")).toBe(true);
  expect(events[events.length - 1].progress).toEqual({ sent: count, confirmed: count, failed: 0 });
  const sentIds = events.flatMap((e) => (e.type === "sent" ? e.ids : []));
  expect(new Set(sentIds).size).toBe(count);
  return results.map((r) => r.id);
}

describe("uploadRecords", () => {
  it(
    `uploads ${TOTAL} records from a generator with concurrency 4: the server holds exactly those`,
    () =>
      onFreshServer(async () => {
        const tracker = trackingFetch();
        const target = await collection("sync", tracker.fetch);
        const events = await lastValueFrom(target.uploadRecords(generated(TOTAL), { concurrency: 4 }).pipe(toArray()));
        const ids = createdIds(events, TOTAL);
        // One /batch per chunk; on PostgreSQL also the resends of what concurrent chunks rolled back.
        if (kintoBackend() === "memory") expect(tracker.posts()).toBe(TOTAL / 25);
        else expect(tracker.posts()).toBeGreaterThanOrEqual(TOTAL / 25);
        expect(tracker.maxInFlight()).toBe(4);
        const { total, records } = await serverRecords("sync");
        expect(total).toBe(TOTAL);
        expect(records.map((r) => r.id).sort()).toEqual([...ids].sort());
        expect(records.map((r) => r.n).sort((a, b) => a - b)).toEqual(Array.from({ length: TOTAL }, (_, n) => n));
      }),
    120_000,
  );

  it(
    `uploads ${TOTAL} records from an async generator with concurrency 4`,
    () =>
      onFreshServer(async () => {
        const tracker = trackingFetch();
        const target = await collection("async", tracker.fetch);
        const events = await lastValueFrom(target.uploadRecords(generatedAsync(TOTAL), { concurrency: 4 }).pipe(toArray()));
        const ids = createdIds(events, TOTAL);
        expect(tracker.maxInFlight()).toBeLessThanOrEqual(4);
        const { total, records } = await serverRecords("async");
        expect(total).toBe(TOTAL);
        expect(records.map((r) => r.id).sort()).toEqual([...ids].sort());
      }),
    120_000,
  );

  it("pulls at most concurrency × chunkSize + chunkSize records before the first answer", async () => {
    const target = await collection("bounded");
    const yielded = { n: 0 };
    const pulledAtAnswers: number[] = [];
    await lastValueFrom(
      target.uploadRecords(generated(1_000, yielded), { concurrency: 4, chunkSize: 10 }).pipe(
        filter((e) => e.type === "chunk"),
        tap(() => pulledAtAnswers.push(yielded.n)),
      ),
    );
    expect(pulledAtAnswers).toHaveLength(100);
    expect(pulledAtAnswers[0]).toBeGreaterThanOrEqual(4 * 10);
    // Through the whole upload: never more than one chunk ahead of the slots.
    pulledAtAnswers.forEach((pulled, answered) => expect(pulled).toBeLessThanOrEqual(Math.min(1_000, (answered + 4) * 10 + 10)));
  });

  it("waits for the server's Backoff before each chunk", async () => {
    const backoffServer = await startKinto({ settings: { "kinto.backoff": "1" } });
    try {
      const sends: { at: number; release: number }[] = [];
      const timing = ((input: string, init?: RequestInit) => {
        if (init?.method === "POST") sends.push({ at: Date.now(), release: current(client.backoff$) });
        return fetch(input, init);
      }) as typeof fetch;
      const client = new KintoClient(backoffServer.url, { headers: { Authorization: AUTH }, fetch: timing });
      await lastValueFrom(client.createBucket("backoff"));
      await lastValueFrom(client.bucket("backoff").createCollection("records"));
      const events = await lastValueFrom(
        client.bucket("backoff").collection("records").uploadRecords(generated(30), { chunkSize: 10 }).pipe(toArray()),
      );
      expect(events.filter((e) => e.type === "chunk")).toHaveLength(3);
      expect(sends).toHaveLength(3);
      // Each /batch left once the Backoff announced by the previous response was over.
      for (const send of sends) {
        expect(send.release).toBeGreaterThan(0);
        expect(send.at).toBeGreaterThanOrEqual(send.release - 2);
      }
    } finally {
      await backoffServer.stop();
    }
  }, 60_000);

  it("unsubscribing aborts the requests in flight, closes the generator and pulls nothing more", async () => {
    const tracker = trackingFetch();
    const target = await collection("unsubscribed", tracker.fetch);
    const yielded = { n: 0 };
    let closed = false;
    function* endless(): Generator<UploadRecord> {
      try {
        for (;;) {
          yielded.n++;
          yield { n: yielded.n };
        }
      } finally {
        closed = true;
      }
    }
    let subscription: Subscription | undefined;
    const firstChunk = new Promise<void>((resolve, reject) => {
      subscription = target.uploadRecords(endless(), { concurrency: 2, chunkSize: 5 }).subscribe({
        next: (e) => e.type === "chunk" && resolve(),
        error: reject,
      });
    });
    await firstChunk;
    subscription!.unsubscribe();
    const pulledAtUnsubscribe = yielded.n;
    const postsAtUnsubscribe = tracker.posts();
    expect(closed).toBe(true);
    await new Promise((r) => setTimeout(r, 300));
    expect(yielded.n).toBe(pulledAtUnsubscribe);
    expect(tracker.posts()).toBe(postsAtUnsubscribe);
    expect(pulledAtUnsubscribe).toBeLessThanOrEqual(2 * 5 + 5);
  });

  it("uploads from an Observable, keeps given ids and reports per-record conflicts and failures", async () => {
    const target = await collection("observable");
    await get("PUT", `/buckets/${BUCKET}-observable/collections/records/records/taken`, { data: { owner: "server" } });
    const source = new Observable<UploadRecord>((subscriber) => {
      subscriber.next({ id: "mine", title: "kept id" });
      subscriber.next({ id: "taken", owner: "client" });
      subscriber.next({ id: "bad", last_modified: "not a number" });
      subscriber.next({ title: "generated id" });
      subscriber.complete();
    });
    const events = await lastValueFrom(target.uploadRecords(source, { safe: true }).pipe(toArray()));
    const results = events.flatMap((e) => (e.type === "chunk" ? e.results : []));
    expect(results.map((r) => [r.id === "mine" || r.id === "taken" || r.id === "bad" ? r.id : "generated", r.status])).toEqual([
      ["mine", "created"],
      ["taken", "conflict"],
      ["bad", "failed"],
      ["generated", "created"],
    ]);
    const conflict = results[1];
    expect(conflict.status === "conflict" && conflict.existing).toMatchObject({ id: "taken", owner: "server" });
    const failure = results[2];
    expect(failure.status === "failed" && failure.error.status).toBe(400);
    expect(events[events.length - 1].progress).toEqual({ sent: 4, confirmed: 2, failed: 2 });
    const { total, records } = await serverRecords("observable");
    expect(total).toBe(3);
    expect(records.find((r) => r.id === "taken")).toMatchObject({ owner: "server" });
    expect(records.map((r) => r.id).sort()).toEqual(["mine", "taken", results[3].id].sort());
  });

  it("uploading the same records again counts them as created (412 of identical records), without duplicates", async () => {
    const target = await collection("again");
    const records = Array.from({ length: 30 }, (_, n) => ({ id: `r${n}`, n }));
    const first = await lastValueFrom(target.uploadRecords(records, { safe: true }).pipe(toArray()));
    const second = await lastValueFrom(target.uploadRecords(records, { safe: true }).pipe(toArray()));
    for (const events of [first, second]) {
      const results = events.flatMap((e) => (e.type === "chunk" ? e.results : []));
      expect(results.map((r) => r.status)).toEqual(records.map(() => "created"));
    }
    expect((await serverRecords("again")).total).toBe(30);
  });
});
