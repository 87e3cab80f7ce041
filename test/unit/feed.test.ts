/**
 * The live feed's timing, retries, Backoff waits and cancellation, on virtual time (TestScheduler)
 * with a fake executor. Against the real server: test/integration/feed.test.ts.
 */
import * as t from "io-ts";
import { defer, mergeMap, take, takeUntil, throwError, timer } from "rxjs";
import { marbles } from "rxjs-marbles/jest";
import type { TestScheduler } from "rxjs/testing";
import {
  Collection,
  KintoClient,
  KintoHttpError,
  NetworkError,
  PaginationLoopError,
  PayloadValidationError,
  RetryAfterTooLongError,
  RetryBudget,
  type KintoClientOptions,
  type KintoHandler,
  type KintoRequest,
  type KintoResponse,
} from "../../src";
import { decodeChanges, FeedWindow, type WatchOptions } from "../../src/streams/feed";
import { preloadCapabilities } from "../../src/resources/lazy";

// The façade loads the feed and uploads on first use (a Promise): loaded before virtual time runs.
beforeAll(preloadCapabilities);

const PATH = "/buckets/b/collections/c/records";
const summary = { method: "GET", path: PATH };

/** A 200 listing. */
function ok(data: object[], etag: number, next?: string): KintoResponse {
  const headers = new Headers({ ETag: `"${etag}"` });
  if (next) headers.set("Next-Page", next);
  return { status: 200, headers, json: { data } };
}
/** A 304 (nothing changed). */
const notModified = (etag: number): KintoResponse => ({ status: 304, headers: new Headers({ ETag: `"${etag}"` }), json: undefined });

type Reply = KintoResponse | Error | ((request: KintoRequest) => KintoResponse | Error);

/** A fixed random source: every retry delay's jitter is the middle of its range, `[d/2, d)` → `0.75 d`. */
const halfway = () => 0.5;

/**
 * A client whose backend answers each request, `latency` frames later, with the next reply of
 * `script` (the last one repeats), on the TestScheduler's virtual time; it logs the frame and the
 * request of each send. The client's own chain (Backoff wait, notices, retries) runs as in production.
 */
function fakeExecutor(scheduler: TestScheduler, script: Reply[], latency = 1, options: KintoClientOptions = {}) {
  const calls: { at: number; request: KintoRequest }[] = [];
  const backend: KintoHandler = (request) =>
    defer(() => {
      calls.push({ at: scheduler.now(), request });
      const step = script.length > 1 ? script.shift()! : script[0];
      return timer(latency).pipe(
        mergeMap(() => {
          const reply = typeof step === "function" ? step(request) : step;
          return reply instanceof Error ? throwError(() => reply) : [reply];
        }),
      );
    });
  const client = new KintoClient("http://kinto.test/v1", { backend, scheduler, retryPolicy: { random: halfway }, ...options });
  return { client, calls, collection: collectionOf(client) };
}

function collectionOf<C extends t.Mixed | undefined = undefined>(client: KintoClient, codec?: C): Collection<C> {
  return client.bucket("b").collection<C>("c", { codec } as never);
}

/** The feed of `collection` (what `watchRecords` returns). */
const watch = <C extends t.Mixed | undefined>(collection: Collection<C>, options?: WatchOptions) => collection.watchRecords(options);

const since = (call: { request: KintoRequest }) => call.request.query?._since;

describe("feed timing (virtual time)", () => {
  it(
    "polls every `interval` after the previous poll ends, and emits each change once, in order",
    marbles((m) => {
      const scheduler = m.scheduler;
      const a = { id: "a", last_modified: 11, title: "A" };
      const b = { id: "b", last_modified: 12, deleted: true };
      const { collection, calls } = fakeExecutor(scheduler, [ok([a, b], 12), notModified(12)]);
      {
        m.expect(watch(collection, { since: 10, interval: 1000, window: 0 }), "^ 3500ms !").toBeObservable("-(ab)", { a, b });
      }
      m.flush();
      expect(calls.map((c) => c.at)).toEqual([0, 1001, 2002, 3003]);
      expect(calls.map(since)).toEqual(["10", "12", "12", "12"]);
      // The first poll reads the list whole; once its ETag is known (and quiet for `window`), 304 polls.
      expect(calls.map((c) => c.request.headers?.["If-None-Match"])).toEqual([undefined, '"12"', '"12"', '"12"']);
      expect(calls[0].request.query?._sort).toBe("last_modified");
    }),
  );

  it(
    "without `since`, starts from the list's ETag (HEAD), so only later changes are emitted",
    marbles((m) => {
      const scheduler = m.scheduler;
      const r = { id: "r", last_modified: 60 };
      const { collection, calls } = fakeExecutor(scheduler, [notModified(50), notModified(50), ok([r], 60), notModified(60)]);
      {
        m.expect(watch(collection, { interval: 10, window: 0 }), "^ 40ms !").toBeObservable("23ms r", { r });
      }
      m.flush();
      expect(calls.map((c) => c.request.method)).toEqual(["HEAD", "GET", "GET", "GET"]);
      expect(calls.map((c) => c.at)).toEqual([0, 11, 22, 33]);
      expect(calls.slice(1).map(since)).toEqual(["50", "50", "60"]);
    }),
  );

  it(
    "stops polling on unsubscribe: the request in flight is unsubscribed and no timer is left",
    marbles((m) => {
      const scheduler = m.scheduler;
      {
        const response$ = m.cold("---(r|)", { r: notModified(5) });
        const client = new KintoClient("http://kinto.test/v1", { backend: () => response$, scheduler });
        m.expect(watch(collectionOf(client), { since: 5, interval: 5, window: 0 }), "^ 16ms !").toBeObservable("");
        m.expect(response$).toHaveSubscriptions(["^--!", "8ms ^--!", "16ms ^!"]);
      }
      m.flush();
    }),
  );

  it(
    "a 304 emits nothing and keeps the cursor; an empty 200 moves the cursor to the list's ETag",
    marbles((m) => {
      const scheduler = m.scheduler;
      const { collection, calls } = fakeExecutor(scheduler, [notModified(5), ok([], 9), notModified(9)]);
      {
        m.expect(watch(collection, { since: 5, interval: 10, window: 0 }), "^ 40ms !").toBeObservable("");
      }
      m.flush();
      expect(calls.map(since)).toEqual(["5", "5", "9", "9"]);
    }),
  );

  it(
    "follows Next-Page within one poll, without If-None-Match on later pages",
    marbles((m) => {
      const scheduler = m.scheduler;
      const [a, b, c] = [1, 2, 3].map((n) => ({ id: `r${n}`, last_modified: 100 + n }));
      const next = `http://kinto.test/v1${PATH}?_since=100&_sort=last_modified&_token=xyz`;
      const { collection, calls } = fakeExecutor(scheduler, [ok([a, b], 103, next), ok([c], 103), notModified(103)], 5);
      {
        m.expect(watch(collection, { since: 100, interval: 10, window: 0 }), "^ 25ms !").toBeObservable("5ms (ab) 1ms c", { a, b, c });
      }
      m.flush();
      expect(calls.map((x) => x.at)).toEqual([0, 5, 20]);
      expect(calls[1].request.query?._token).toBe("xyz");
      expect(calls[1].request.headers?.["If-None-Match"]).toBeUndefined();
      expect(since(calls[2])).toBe("103");
    }),
  );
});

describe("feed window: commits out of timestamp order (virtual time)", () => {
  /** A server that honours `_since` and If-None-Match, whose list holds `visible()` now. */
  const server = (visible: () => { id: string; last_modified: number }[], etag: number) => (request: KintoRequest) => {
    if (request.headers?.["If-None-Match"] === `"${etag}"`) return notModified(etag);
    return ok(
      visible().filter((item) => item.last_modified > Number(request.query?._since ?? 0)),
      etag,
    );
  };

  it(
    "re-reads `window` behind its cursor every window/2 while the ETag moves, then only 304s",
    marbles((m) => {
      const scheduler = m.scheduler;
      const a = { id: "a", last_modified: 110 };
      const { collection, calls } = fakeExecutor(scheduler, [server(() => [a], 110)]);
      {
        m.expect(watch(collection, { since: 100, interval: 10, window: 30 }), "^ 75ms !").toBeObservable("-a", { a });
      }
      m.flush();
      // Re-reads (since 70/80, no If-None-Match) at 0, 22, 44: the last one more than `window` after
      // the ETag was first seen (frame 1); between and after them, polls after the cursor with If-None-Match.
      expect(calls.map((c) => c.at)).toEqual([0, 11, 22, 33, 44, 55, 66]);
      expect(calls.map(since)).toEqual(["70", "110", "80", "110", "80", "110", "110"]);
      expect(calls.map((c) => c.request.headers?.["If-None-Match"])).toEqual([
        undefined,
        '"110"',
        undefined,
        '"110"',
        undefined,
        '"110"',
        '"110"',
      ]);
    }),
  );

  it(
    "emits a change that commits late, stamped before the cursor, in the next re-read, once",
    marbles((m) => {
      const scheduler = m.scheduler;
      const [a, b] = [
        { id: "a", last_modified: 110 },
        { id: "b", last_modified: 120 },
      ];
      // `a` commits at frame 5, after `b` (stamped later) was seen; the list's ETag stays 120.
      const { collection } = fakeExecutor(scheduler, [server(() => (scheduler.now() >= 5 ? [a, b] : [b]), 120)]);
      {
        m.expect(watch(collection, { since: 100, interval: 10, window: 50 }), "^ 80ms !").toBeObservable("-b 32ms a", { a, b });
      }
      m.flush();
    }),
  );

  it(
    "without `since`: what the first poll finds stamped before the start is not emitted; what commits late there is",
    marbles((m) => {
      const scheduler = m.scheduler;
      const [x, y, z] = [
        { id: "x", last_modified: 90 },
        { id: "y", last_modified: 100 },
        { id: "z", last_modified: 95 },
      ];
      const { collection, calls } = fakeExecutor(scheduler, [server(() => (scheduler.now() >= 15 ? [x, z, y] : [x, y]), 100)]);
      {
        m.expect(watch(collection, { interval: 10, window: 50 }), "^ 50ms !").toBeObservable("45ms z", { z });
      }
      m.flush();
      expect(calls.map((c) => c.request.method)).toEqual(["HEAD", "GET", "GET", "GET", "GET"]);
      expect(calls.slice(1).map(since)).toEqual(["50", "100", "100", "50"]);
    }),
  );

  it("holds only the changes of the last `window` ms", () => {
    let now = 0;
    const state = new FeedWindow(0, 100, () => now);
    for (let t = 1; t <= 10_000; t++) {
      state.accept([{ id: `r${t % 5000}`, last_modified: t }]);
      state.settle();
      now = t;
    }
    expect(state.size).toBeLessThanOrEqual(101);
  });
});

describe("feed retries (virtual time)", () => {
  const down = new NetworkError(summary, "connection refused");

  it(
    "retries transient errors with a doubling delay, jittered, capped, never below baseDelay, reset after a successful poll",
    marbles((m) => {
      const scheduler = m.scheduler;
      const r = { id: "r", last_modified: 2 };
      const script: Reply[] = [down, down, down, down, down, ok([r], 2), down, notModified(2)];
      const { collection, calls } = fakeExecutor(scheduler, script);
      {
        const feed = watch(collection, { since: 1, interval: 1000, window: 0, retryPolicy: { baseDelay: 10, maxDelay: 40 } });
        m.expect(feed, "^ 1200ms !").toBeObservable("121ms r", { r });
      }
      m.flush();
      // Exponential 10, 20, 40, 40, 40, jittered to 3/4 by the fixed random source (7 → raised to
      // baseDelay 10, 15, 30, 30, 30) after each 1-frame failure; after the success, 10 again.
      expect(calls.map((c) => c.at)).toEqual([0, 11, 27, 58, 89, 120, 1121, 1132]);
    }),
  );

  it(
    "honours a Retry-After instead of its own delay",
    marbles((m) => {
      const scheduler = m.scheduler;
      const { collection, calls } = fakeExecutor(scheduler, [new KintoHttpError(503, summary, {}, 7000), notModified(1)]);
      {
        watch(collection, { since: 1, window: 0, retryPolicy: { baseDelay: 10, maxDelay: 40 } })
          .pipe(takeUntil(timer(8000)))
          .subscribe();
      }
      m.flush();
      expect(calls.slice(0, 2).map((c) => c.at)).toEqual([0, 7001]);
    }),
  );

  it(
    "ends with RetryAfterTooLongError instead of sleeping past maxRetryAfter",
    marbles((m) => {
      const scheduler = m.scheduler;
      const dayLong = new KintoHttpError(503, summary, {}, 86_400_000);
      const { collection, calls } = fakeExecutor(scheduler, [dayLong]);
      let failure: unknown;
      {
        watch(collection, { since: 1, retryPolicy: { maxRetryAfter: 60_000 } }).subscribe({ error: (e) => (failure = e) });
      }
      m.flush();
      expect(calls).toHaveLength(1);
      expect(failure).toBeInstanceOf(RetryAfterTooLongError);
      expect((failure as RetryAfterTooLongError).delayMs).toBe(86_400_000);
    }),
  );

  it(
    "errors after `retry` consecutive failures",
    marbles((m) => {
      const scheduler = m.scheduler;
      const { collection, calls } = fakeExecutor(scheduler, [down]);
      {
        m.expect(watch(collection, { since: 1, retry: 2, retryPolicy: { baseDelay: 5 } })).toBeObservable("15ms #", undefined, down);
      }
      m.flush();
      // Delays 5 (jittered 3, raised to baseDelay) and 7 (10 jittered).
      expect(calls.map((c) => c.at)).toEqual([0, 6, 14]);
    }),
  );

  it(
    "ends at once on a non-transient error (4xx) or an invalid payload",
    marbles((m) => {
      const scheduler = m.scheduler;
      const forbidden = new KintoHttpError(403, summary, { message: "forbidden" });
      const first = fakeExecutor(scheduler, [forbidden]);
      const second = fakeExecutor(scheduler, [ok([{ id: "x", last_modified: 3, title: 42 }], 3)]);
      let invalid: unknown;
      {
        m.expect(watch(first.collection, { since: 1 })).toBeObservable("-#", undefined, forbidden);
        const typed = collectionOf(second.client, t.type({ title: t.string }));
        watch(typed, { since: 1 }).subscribe({ error: (e) => (invalid = e) });
      }
      m.flush();
      expect(first.calls).toHaveLength(1);
      expect(second.calls).toHaveLength(1);
      expect(invalid).toBeInstanceOf(PayloadValidationError);
      expect((invalid as PayloadValidationError).issues[0].path).toBe("$.data[0].title");
    }),
  );

  it(
    "never re-emits a change seen again by a retried poll",
    marbles((m) => {
      const scheduler = m.scheduler;
      const [a, b, c] = [1, 2, 3].map((n) => ({ id: `r${n}`, last_modified: 10 + n }));
      const next = `http://kinto.test/v1${PATH}?_token=t`;
      // Page 2 fails; the retried poll (from b's timestamp: the cursor moves to the ETag only once
      // every page is read) sees b again at the boundary, then c.
      const script: Reply[] = [ok([a, b], 13, next), down, ok([b, c], 13), notModified(13)];
      const { collection, calls } = fakeExecutor(scheduler, script);
      {
        m.expect(watch(collection, { since: 10, interval: 100, window: 0, retryPolicy: { baseDelay: 5 } }), "^ 150ms !").toBeObservable(
          "-(ab) 3ms c",
          { a, b, c },
        );
      }
      m.flush();
      expect(calls.map(since)).toEqual(["10", undefined, "12", "13"]);
    }),
  );
});

describe("feed reliability (virtual time)", () => {
  it(
    "a catch-up of 4,000 pages emits every change (a loop, not nested subscribers: no stack overflow)",
    marbles((m) => {
      const scheduler = m.scheduler;
      const PAGES = 4000;
      const page = (request: KintoRequest) => {
        if (Number(request.query?._since ?? 0) >= PAGES) return ok([], PAGES); // caught up
        const k = Number(request.query?._token ?? 0);
        const next = k + 1 < PAGES ? `http://kinto.test/v1${PATH}?_since=0&_sort=last_modified&_token=${k + 1}` : undefined;
        return ok([{ id: `r${k}`, last_modified: k + 1 }], PAGES, next);
      };
      const { collection } = fakeExecutor(scheduler, [page]);
      let emitted = 0;
      let failure: unknown;
      {
        watch(collection, { since: 0, interval: 1000, window: 0 })
          .pipe(takeUntil(timer(9000)))
          .subscribe({ next: () => emitted++, error: (e) => (failure = e) });
      }
      m.flush();
      expect(failure).toBeUndefined();
      expect(emitted).toBe(PAGES);
    }),
  );

  it(
    "a Next-Page that comes back ends the feed with a PaginationLoopError, not a silent stall",
    marbles((m) => {
      const scheduler = m.scheduler;
      const loop = `http://kinto.test/v1${PATH}?_since=0&_token=same`;
      const { collection, calls } = fakeExecutor(scheduler, [ok([{ id: "a", last_modified: 1 }], 1, loop)]);
      let failure: unknown;
      {
        watch(collection, { since: 0, window: 0 }).subscribe({ error: (e) => (failure = e) });
      }
      m.flush();
      expect(failure).toBeInstanceOf(PaginationLoopError);
      expect(calls.length).toBeLessThanOrEqual(3);
    }),
  );

  it(
    "a 503 with Retry-After: 0 is retried no sooner than baseDelay, and each retry draws from the retry budget",
    marbles((m) => {
      const scheduler = m.scheduler;
      const now = new KintoHttpError(503, summary, {}, 0);
      const budget = new RetryBudget({ capacity: 100, retryCost: 5, refund: 0 });
      const { collection, calls } = fakeExecutor(scheduler, [now, now, now, notModified(1)], 1, { retryBudget: budget });
      {
        watch(collection, { since: 1, window: 0, retryPolicy: { baseDelay: 100 } })
          .pipe(takeUntil(timer(400)))
          .subscribe();
      }
      m.flush();
      expect(calls.slice(0, 4).map((c) => c.at)).toEqual([0, 101, 202, 303]);
      expect(budget.available).toBe(100 - 3 * 5);
    }),
  );

  it(
    "when the budget refuses a retry, the feed waits maxDelay instead of failing",
    marbles((m) => {
      const scheduler = m.scheduler;
      const budget = new RetryBudget({ capacity: 4, retryCost: 5, refund: 0 });
      const down = new NetworkError(summary, "connection refused");
      const { collection, calls } = fakeExecutor(scheduler, [down, notModified(1)], 1, { retryBudget: budget });
      let failure: unknown;
      {
        watch(collection, { since: 1, window: 0, retryPolicy: { baseDelay: 10, maxDelay: 300 } })
          .pipe(takeUntil(timer(400)))
          .subscribe({ error: (e) => (failure = e) });
      }
      m.flush();
      expect(failure).toBeUndefined();
      expect(calls.slice(0, 2).map((c) => c.at)).toEqual([0, 301]);
    }),
  );
});

describe("feed without ETags (virtual time)", () => {
  it(
    "a server that sends no ETag: each change once, the cursor moved by the changes themselves",
    marbles((m) => {
      const scheduler = m.scheduler;
      const r = { id: "r", last_modified: 5 };
      const noEtag = (request: KintoRequest): KintoResponse => ({
        status: 200,
        headers: new Headers(),
        json: { data: [r].filter((x) => x.last_modified > Number(request.query?._since ?? 0)) },
      });
      const { collection, calls } = fakeExecutor(scheduler, [noEtag]);
      {
        m.expect(watch(collection, { since: 0, interval: 10, window: 30 }), "^ 100ms !").toBeObservable("-r", { r });
      }
      m.flush();
      expect(calls.length).toBeGreaterThan(5);
      expect(calls.slice(-2).map(since)).toEqual(["5", "5"]);
    }),
  );
});

describe("feed and Backoff (virtual time)", () => {
  it(
    "sends nothing while the server's Backoff is in force",
    marbles((m) => {
      const scheduler = m.scheduler;
      const withBackoff = notModified(5);
      (withBackoff.headers as Headers).set("Backoff", "3");
      const { collection, calls } = fakeExecutor(scheduler, [withBackoff, notModified(5)]);
      {
        m.expect(watch(collection, { since: 5, interval: 1000, window: 0 }), "^ 5000ms !").toBeObservable("");
      }
      m.flush();
      // Backoff: 3 s received at 1 → next poll at 3001 (not 1001); then back to the interval.
      expect(calls.map((c) => c.at)).toEqual([0, 3001, 4002]);
    }),
  );

  it(
    "waits for a Backoff already in force before the first request, once (not once per link)",
    marbles((m) => {
      const scheduler = m.scheduler;
      const info = { status: 200, headers: new Headers({ Backoff: "1" }), json: {} };
      const { client, collection, calls } = fakeExecutor(scheduler, [info, notModified(5)]);
      const waits: string[] = [];
      {
        client.waiting$.subscribe((wait) => waits.push(`${wait.reason} ${wait.ms}`));
        client.request({ method: "GET", path: "/" }).subscribe();
        scheduler.schedule(
          () => m.expect(watch(collection, { since: 5, interval: 1000 }).pipe(take(1)), "^ 1100ms !").toBeObservable(""),
          2,
        );
        m.expect(timer(1100)).toBeObservable("1100ms (0|)", { 0: 0 });
      }
      m.flush();
      // Backoff: 1 s received at frame 1, in force until 1001: the feed, subscribed at 2, sends its first poll then.
      expect(calls.map((c) => c.at)).toEqual([0, 1001]);
      expect(waits).toEqual(["backoff 999"]);
    }),
  );
});

describe("feed pieces", () => {
  it("decodes tombstones with the Tombstone codec and records with the collection's codec", () => {
    const codec = t.type({ id: t.string, last_modified: t.number, title: t.string });
    const tombstone = { id: "a", last_modified: 1, deleted: true };
    const record = { id: "b", last_modified: 2, title: "x" };
    expect(decodeChanges({ data: [tombstone, record] }, codec, PATH)).toEqual([tombstone, record]);
    const invalid = (data: object[]) => () => decodeChanges({ data }, codec, PATH);
    expect(invalid([record, { id: "c", last_modified: 3 }])).toThrow(PayloadValidationError);
    expect(invalid([{ id: "a", last_modified: "1", deleted: true }])).toThrow(/data\[0\]\.last_modified/);
  });

  it("the window drops what it emitted and older versions, and forgets what falls behind it", () => {
    const state = new FeedWindow(10, 5, () => 0);
    const a = { id: "a", last_modified: 11 };
    const b = { id: "b", last_modified: 12 };
    expect(state.accept([a, b])).toEqual([a, b]);
    expect(state.cursor).toBe(12);
    expect(state.accept([b, { ...a, last_modified: 13 }, a])).toEqual([{ ...a, last_modified: 13 }]);
    state.observeEtag(30);
    state.pollComplete();
    expect(state.cursor).toBe(30);
    state.settle();
    expect(state.size).toBe(0);
  });

  it(
    "refuses invalid options on subscription, before any request",
    marbles((m) => {
      const scheduler = m.scheduler;
      const { collection, calls } = fakeExecutor(scheduler, [notModified(1)]);
      const errors: string[] = [];
      for (const options of [{ since: "yesterday" }, { interval: -1 }, { limit: 0 }, { window: -1 }] as WatchOptions[]) {
        watch(collection, options).subscribe({ error: (e: Error) => errors.push(e.name) });
      }
      expect(errors).toEqual(["InvalidArgumentError", "InvalidArgumentError", "InvalidArgumentError", "InvalidArgumentError"]);
      expect(calls).toHaveLength(0);
    }),
  );
});
