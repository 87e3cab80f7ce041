/**
 * Issue 15, findings 1 and 2: a listing can neither loop forever (a server or proxy answering every
 * page with the same Next-Page, or a cycle of them, or Next-Pages without end) nor grow the stack
 * with the number of pages. Scripted servers: no real Kinto sends such pages.
 */
import { lastValueFrom, of, timeout, count, type Observable } from "rxjs";
import { allRecords, KintoClient, PaginationLoopError, records, toAsyncIterable, PageGuard, DEFAULT_MAX_PAGE_REQUESTS } from "../../src";
import { pages } from "../../src/streams/pages";
import { KintoObject } from "../../src/protocol/codecs";
import type { Executor } from "../../src/protocol/scope";
import type { KintoRequest } from "../../src/http/request";
import type { KintoResponse } from "../../src/http/transport";
import { localServer, sendJson, type LocalServer } from "../security/local-server";

const RECORDS = "/v1/buckets/b/collections/c/records";

/** The error `source` fails with, within 5 s (on a looping listing, the timeout's error instead). */
function failure(source: Observable<unknown>): Promise<unknown> {
  return lastValueFrom(source.pipe(timeout(5000))).then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

describe("Next-Page loops (finding 2)", () => {
  let server: LocalServer;
  let nextOf: (url: string) => string | null;
  beforeAll(async () => {
    server = await localServer((req, res) => {
      const next = nextOf(req.url ?? "");
      sendJson(
        res,
        200,
        { data: [{ id: "a", last_modified: 1 }] },
        next === null ? {} : { "Next-Page": server.origin + next, ETag: '"1"' },
      );
    });
  });
  afterAll(() => server.close());
  beforeEach(() => (server.received.length = 0));
  const collection = () => new KintoClient(server.url).bucket("b").collection("c");

  it("a Next-Page that repeats the page's own URL is a PaginationLoopError, after 2 requests", async () => {
    nextOf = () => `${RECORDS}?_limit=1&_token=same`;
    const error = await failure(collection().listRecords({ pages: Infinity }));
    expect(error).toBeInstanceOf(PaginationLoopError);
    expect(error).toMatchObject({
      reason: "repeated-url",
      request: { method: "GET", path: "/buckets/b/collections/c/records?_limit=1&_token=same" },
    });
    expect(server.received.length).toBe(2);
  });

  it("a cycle of 2 URLs is found within a few requests; allRecords() errors instead of growing", async () => {
    nextOf = (url) => `${RECORDS}?_token=${url.includes("_token=x") ? "y" : "x"}`;
    const error = await failure(collection().listRecords({ pages: Infinity }).pipe(allRecords()));
    expect(error).toBeInstanceOf(PaginationLoopError);
    expect(server.received.length).toBeLessThanOrEqual(6);
  });

  it("a long cycle (50 URLs) is found within three times its length (Brent)", async () => {
    nextOf = (url) => `${RECORDS}?_token=${(Number(/_token=(\d+)/.exec(url)?.[1] ?? 0) + 1) % 50}`;
    const error = await failure(collection().listRecords({ pages: Infinity }));
    expect(error).toMatchObject({ reason: "repeated-url" });
    expect(server.received.length).toBeLessThanOrEqual(3 * 51);
  });

  it("Next-Pages without end stop at maxRequests with a PaginationLoopError", async () => {
    nextOf = (url) => `${RECORDS}?_token=${Number(/_token=(\d+)/.exec(url)?.[1] ?? 0) + 1}`;
    const error = await failure(collection().listRecords({ pages: Infinity, maxRequests: 30 }));
    expect(error).toMatchObject({ reason: "request-limit", requests: 30 });
    expect(server.received.length).toBe(30);
  });

  it("for await over page.next() ends with the same error", async () => {
    nextOf = () => `${RECORDS}?_token=same`;
    let pagesSeen = 0;
    const loop = (async () => {
      // toAsyncIterable honours `pages` (as the Observable does): every page, so the loop is met.
      for await (const _page of toAsyncIterable(collection().listRecords({ pages: Infinity })))
        if (++pagesSeen > 1000) throw new Error("looping");
    })();
    await expect(loop).rejects.toBeInstanceOf(PaginationLoopError);
    expect(pagesSeen).toBe(2);
  });

  it("the guard is an immutable value: re-subscribing to a page's next() is not a repeat", async () => {
    let n = 0;
    nextOf = (url) => (url.includes("_token") ? null : `${RECORDS}?_token=${++n}`);
    const first = await lastValueFrom(collection().listRecords());
    await lastValueFrom(first.next());
    await lastValueFrom(first.next()); // the same Next-Page again, from the same page: allowed
    expect(server.received.length).toBe(3);
  });

  it("has a default cap that no real collection reaches, and refuses a nonsensical one", () => {
    expect(DEFAULT_MAX_PAGE_REQUESTS).toBe(100_000);
    expect(() => new PageGuard(0)).toThrow(/maxRequests/);
    let guard = new PageGuard(3).visit("/a").visit("/b").visit("/c");
    expect(() => guard.visit("/d")).toThrow(PaginationLoopError);
    guard = new PageGuard().visit("/a");
    expect(() => guard.visit("/a")).toThrow(/already requested/);
  });
});

describe("pages() iterates (finding 1, pages.ts)", () => {
  it("follows 20,000 pages answered synchronously (1,000,000 records) in constant stack depth", async () => {
    const PAGES = 20_000;
    const handler = (request: KintoRequest) => {
      const n = Number(request.query?._token ?? 0);
      const data = Array.from({ length: 50 }, (_, i) => ({ id: `r${n * 50 + i}`, last_modified: n * 50 + i + 1 }));
      const headers = new Headers(n + 1 < PAGES ? { "Next-Page": `http://127.0.0.1:1/v1/r?_token=${n + 1}` } : {});
      return of<KintoResponse>({ status: 200, headers, json: { data } });
    };
    const executor: Executor = {
      remote: "http://127.0.0.1:1/v1",
      handler,
      notices: undefined as never,
      fetchServerSettings: () => of({ batch_max_requests: 25, readonly: false }),
      retryPolicyFor: () => undefined as never,
    };
    const listing = pages(
      { executor, handler, levels: [] },
      { method: "GET", path: "/r" },
      { headers: {}, safe: false, retry: 0, timeout: null },
      KintoObject,
      "/r",
      { max: Infinity, maxRequests: 200_000 },
    );
    await expect(lastValueFrom(listing.pipe(records(), count()))).resolves.toBe(1_000_000);
  });
});
