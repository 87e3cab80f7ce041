/**
 * The transport and KintoClient.execute with a fake fetch and jest's fake timers: what is sent,
 * when, how often, and what is aborted. No real server here (see test/integration for that).
 */
import { EventEmitter } from "node:events";
import type { Subscription } from "rxjs";
import {
  InvalidArgumentError,
  KintoClient,
  KintoHttpError,
  NetworkTimeoutError,
  OutcomeUnknownError,
  NetworkError,
  type FetchLike,
} from "../../src";
import { send, type TransportConfig } from "../../src/http/transport";

const REMOTE = "http://kinto.test/v1";
const SERVER_INFO = {
  project_name: "kinto",
  project_version: "x",
  http_api_version: "1.23",
  project_docs: "d",
  url: REMOTE + "/",
  settings: { batch_max_requests: 25, readonly: false },
  capabilities: {},
};

type Answer = { status?: number; headers?: Record<string, string>; body?: unknown } | "hang" | Error;

/** One recorded fetch call. */
interface Call {
  url: string;
  init: RequestInit;
  headers: Headers;
}

/** A fake fetch answering from `answer(n)` (n = 0-based call index); "hang" waits for the abort. */
function fakeFetch(answer: (n: number) => Answer = () => ({ body: { data: {} } })): { fetch: FetchLike; calls: Call[] } {
  const calls: Call[] = [];
  const fetch: FetchLike = (url, init) => {
    calls.push({ url, init, headers: new Headers(init.headers) });
    const a = answer(calls.length - 1);
    if (a instanceof Error) return Promise.reject(a);
    if (a === "hang") {
      return new Promise((_, reject) => init.signal?.addEventListener("abort", () => reject(new DOMException("aborted", "AbortError"))));
    }
    const text = a.body === undefined ? "" : JSON.stringify(a.body);
    const response = { status: a.status ?? 200, headers: new Headers(a.headers), text: async () => text };
    return Promise.resolve(response as unknown as Response);
  };
  return { fetch, calls };
}

function config(fetch: FetchLike, headers: Record<string, string> = {}): TransportConfig {
  return { remote: REMOTE, fetch, headers: () => headers };
}

/** Lets promise chains (fetch → text → next/error) run. */
async function settle(): Promise<void> {
  for (let i = 0; i < 20; i++) await Promise.resolve();
}

beforeEach(() => {
  jest.useFakeTimers({ doNotFake: ["nextTick", "setImmediate", "queueMicrotask"] });
});
afterEach(() => {
  jest.useRealTimers();
});

describe("cold", () => {
  it("sends nothing before subscribe, and once per subscription", async () => {
    const { fetch, calls } = fakeFetch();
    const client = new KintoClient(REMOTE, { fetch });
    const data$ = client.bucket("b").getData();
    const raw$ = send(config(fetch), { method: "GET", path: "/x" });
    await settle();
    expect(calls).toHaveLength(0);
    data$.subscribe();
    data$.subscribe();
    raw$.subscribe();
    await settle();
    expect(calls.map((c) => c.url)).toEqual([`${REMOTE}/buckets/b`, `${REMOTE}/buckets/b`, `${REMOTE}/x`]);
  });
});

describe("headers", () => {
  it("sends Accept/Content-Type by default, then client headers, setHeaders, bucket and per-call headers", async () => {
    const { fetch, calls } = fakeFetch();
    const client = new KintoClient(REMOTE, { fetch, headers: { Authorization: "Basic a", "X-Client": "1" } });
    client.bucket("b").getData().subscribe();
    client.setHeaders({ Authorization: "Basic b" });
    client
      .bucket("b", { headers: { "X-Bucket": "2" } })
      .getData({ headers: { "X-Call": "3", "X-Client": "call" } })
      .subscribe();
    await settle();
    expect(calls).toHaveLength(2);
    const [first, second] = calls.map((c) => Object.fromEntries(c.headers.entries()));
    expect(first).toEqual({ accept: "application/json", "content-type": "application/json", authorization: "Basic a", "x-client": "1" });
    expect(second).toEqual({
      accept: "application/json",
      "content-type": "application/json",
      authorization: "Basic b",
      "x-client": "call",
      "x-bucket": "2",
      "x-call": "3",
    });
  });

  it("merges header names case-insensitively: a later `authorization` replaces `Authorization`", async () => {
    const { fetch, calls } = fakeFetch();
    const client = new KintoClient(REMOTE, { fetch, headers: { Authorization: "Basic old" } });
    client.setHeaders({ authorization: "Basic new" });
    client
      .bucket("b")
      .getData({ headers: { "content-type": "text/plain" } })
      .subscribe();
    await settle();
    expect(calls[0].headers.get("Authorization")).toBe("Basic new");
    expect(calls[0].headers.get("Content-Type")).toBe("text/plain");
  });

  it("refuses a header value fetch would reject, without echoing the value", async () => {
    const { fetch, calls } = fakeFetch();
    const client = new KintoClient(REMOTE, { fetch, headers: { Authorization: "Basic top-secret\r\nX-Evil: 1" } });
    const errors: unknown[] = [];
    client
      .bucket("b")
      .getData()
      .subscribe({ error: (e) => errors.push(e) });
    await settle();
    expect(calls).toHaveLength(0);
    expect(errors[0]).toBeInstanceOf(InvalidArgumentError);
    expect(String(errors[0]) + JSON.stringify(errors[0]) + (errors[0] as Error).stack).not.toContain("top-secret");
    expect((errors[0] as Error).message).toContain("Authorization");
  });

  it("passes requestMode to fetch (default cors)", async () => {
    const { fetch, calls } = fakeFetch();
    new KintoClient(REMOTE, { fetch }).bucket("b").getData().subscribe();
    new KintoClient(REMOTE, { fetch, requestMode: "no-cors" }).bucket("b").getData().subscribe();
    await settle();
    expect(calls.map((c) => c.init.mode)).toEqual(["cors", "no-cors"]);
  });
});

describe("timeout and cancellation", () => {
  it("times out with NetworkTimeoutError, aborts the fetch and leaves no timer", async () => {
    const { fetch, calls } = fakeFetch(() => "hang");
    const errors: unknown[] = [];
    send(config(fetch), { method: "GET", path: "/slow" }, 1000).subscribe({ error: (e) => errors.push(e) });
    await settle();
    expect(jest.getTimerCount()).toBe(1);
    jest.advanceTimersByTime(999);
    await settle();
    expect(errors).toHaveLength(0);
    jest.advanceTimersByTime(1);
    await settle();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(NetworkTimeoutError);
    expect(errors[0]).toMatchObject({ timeout: 1000, request: { method: "GET", path: "/slow" } });
    expect(calls[0].init.signal?.aborted).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
  });

  it("unsubscribing aborts the fetch and clears the timer; nothing is emitted afterwards", async () => {
    const { fetch, calls } = fakeFetch(() => "hang");
    const seen: string[] = [];
    const subscription: Subscription = send(config(fetch), { method: "GET", path: "/slow" }, 5000).subscribe({
      next: () => seen.push("next"),
      error: () => seen.push("error"),
      complete: () => seen.push("complete"),
    });
    await settle();
    expect(calls[0].init.signal?.aborted).toBe(false);
    expect(jest.getTimerCount()).toBe(1);
    subscription.unsubscribe();
    expect(calls[0].init.signal?.aborted).toBe(true);
    expect(jest.getTimerCount()).toBe(0);
    await settle();
    jest.advanceTimersByTime(10_000);
    expect(seen).toEqual([]);
  });

  it("clears the timer when the response arrives", async () => {
    const { fetch } = fakeFetch();
    const seen: unknown[] = [];
    send(config(fetch), { method: "GET", path: "/" }, 5000).subscribe({
      next: (r) => seen.push(r.json),
      complete: () => seen.push("done"),
    });
    await settle();
    expect(seen).toEqual([{ data: {} }, "done"]);
    expect(jest.getTimerCount()).toBe(0);
  });
});

describe("execute: retries with a fake fetch", () => {
  it("retries a 503 Retry-After: 2 after 2 s, `retry` times, then errors with the KintoHttpError", async () => {
    const { fetch, calls } = fakeFetch(() => ({
      status: 503,
      headers: { "Retry-After": "2" },
      body: { code: 503, errno: 201, error: "Service Unavailable" },
    }));
    const errors: unknown[] = [];
    new KintoClient(REMOTE, { fetch, retry: 2 })
      .bucket("b")
      .getData()
      .subscribe({ error: (e) => errors.push(e) });
    await settle();
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1999);
    await settle();
    expect(calls).toHaveLength(1);
    await jest.advanceTimersByTimeAsync(1);
    await settle();
    expect(calls).toHaveLength(2);
    await jest.advanceTimersByTimeAsync(2000);
    await settle();
    expect(calls).toHaveLength(3);
    await jest.advanceTimersByTimeAsync(60_000);
    await settle();
    expect(calls).toHaveLength(3);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(KintoHttpError);
    expect(errors[0]).toMatchObject({ status: 503, errno: 201, retryAfterMs: 2000 });
  });

  it("reads an HTTP-date Retry-After against the current time", async () => {
    jest.setSystemTime(Date.parse("Wed, 21 Oct 2015 07:27:55 GMT"));
    const { fetch } = fakeFetch(() => ({ status: 503, headers: { "Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT" }, body: {} }));
    const errors: unknown[] = [];
    new KintoClient(REMOTE, { fetch })
      .bucket("b")
      .getData()
      .subscribe({ error: (e) => errors.push(e) });
    await settle();
    expect(errors[0]).toMatchObject({ status: 503, retryAfterMs: 5000 });
  });

  it("never resends a POST after a network failure (OutcomeUnknownError), even with retry: 3", async () => {
    const { fetch, calls } = fakeFetch(() => new TypeError("fetch failed"));
    const errors: unknown[] = [];
    new KintoClient(REMOTE, { fetch, retry: 3 }).createBucket(null).subscribe({ error: (e) => errors.push(e) });
    await settle();
    await jest.advanceTimersByTimeAsync(60_000);
    expect(calls.map((c) => c.init.method)).toEqual(["POST"]);
    expect(errors[0]).toBeInstanceOf(OutcomeUnknownError);
  });

  it("retries a GET after a network failure (NetworkError), and a POST answered 503 Retry-After", async () => {
    const get = fakeFetch((n) => (n === 0 ? new TypeError("fetch failed") : { body: { data: { id: "b", last_modified: 1 } } }));
    const values: unknown[] = [];
    new KintoClient(REMOTE, { fetch: get.fetch, retry: 1 })
      .bucket("b")
      .getData()
      .subscribe((v) => values.push(v));
    const post = fakeFetch((n) =>
      n === 0
        ? { status: 503, headers: { "Retry-After": "1" }, body: {} }
        : { status: 201, body: { data: { id: "new", last_modified: 2 }, permissions: {} } },
    );
    new KintoClient(REMOTE, { fetch: post.fetch, retry: 1 }).createBucket(null).subscribe((v) => values.push(v));
    await settle();
    await jest.advanceTimersByTimeAsync(30_000);
    await settle();
    expect(get.calls).toHaveLength(2);
    expect(post.calls.map((c) => c.init.method)).toEqual(["POST", "POST"]);
    expect(values).toHaveLength(2);
  });

  it("does not retry when retry is 0 (the default)", async () => {
    const { fetch, calls } = fakeFetch(() => ({ status: 503, headers: { "Retry-After": "1" }, body: {} }));
    const errors: unknown[] = [];
    new KintoClient(REMOTE, { fetch })
      .bucket("b")
      .getData()
      .subscribe({ error: (e) => errors.push(e) });
    await settle();
    await jest.advanceTimersByTimeAsync(30_000);
    expect(calls).toHaveLength(1);
    expect(errors[0]).toBeInstanceOf(KintoHttpError);
  });

  it("redacts header values from a fetch error message", async () => {
    const { fetch } = fakeFetch(() => new TypeError("could not send Basic c2VjcmV0LXZhbHVl to the proxy"));
    const errors: unknown[] = [];
    new KintoClient(REMOTE, { fetch, headers: { Authorization: "Basic c2VjcmV0LXZhbHVl" } })
      .bucket("b")
      .getData()
      .subscribe({ error: (e) => errors.push(e) });
    await settle();
    expect(errors[0]).toBeInstanceOf(NetworkError);
    expect((errors[0] as Error).message).not.toContain("c2VjcmV0LXZhbHVl");
  });
});

describe("server info cache", () => {
  it("is fetched once, and again after setHeaders (it carries the user)", async () => {
    const { fetch, calls } = fakeFetch(() => ({ body: SERVER_INFO }));
    const client = new KintoClient(REMOTE, { fetch });
    client.fetchServerInfo().subscribe();
    await settle();
    client.fetchServerInfo().subscribe();
    await settle();
    expect(calls).toHaveLength(1);
    client.setHeaders({ Authorization: "Basic other" });
    client.fetchServerInfo().subscribe();
    await settle();
    expect(calls).toHaveLength(2);
    expect(calls[1].headers.get("Authorization")).toBe("Basic other");
  });
});

describe("notices", () => {
  it("a throwing `events` listener does not fail the request: its error is reported apart", async () => {
    const { fetch, calls } = fakeFetch(() => ({ headers: { Backoff: "5" }, body: { data: { id: "b", last_modified: 1 } } }));
    const events = new EventEmitter();
    events.on("backoff", () => {
      throw new Error("listener boom");
    });
    const seen: string[] = [];
    new KintoClient(REMOTE, { fetch, events, retry: 2 })
      .bucket("b")
      .getData()
      .subscribe({
        next: () => seen.push("next"),
        error: () => seen.push("error"),
      });
    await settle();
    expect(seen).toEqual(["next"]);
    expect(calls).toHaveLength(1);
    expect(() => jest.runOnlyPendingTimers()).toThrow("listener boom");
  });
});
