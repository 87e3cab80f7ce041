/**
 * Pagination as a stream of pages: one emission per page, following the server's `Next-Page`
 * header. A page is requested only while someone still listens, so `pages: Infinity` is lazy.
 */
import * as t from "io-ts";
import { defer, map, Observable, type OperatorFunction, mergeMap, from, toArray, firstValueFrom, type Subscription } from "rxjs";
import { decodeWith } from "../http/decode";
import { DEFAULT_MAX_PAGE_REQUESTS, InvalidArgumentError, PaginationLoopError, PayloadValidationError } from "../http/errors";
import { pathAndQuery, type KintoRequest } from "../http/request";
import type { KintoResponse } from "../http/transport";
import { list, Tombstone } from "../protocol/codecs";
import { versionPrefix } from "../protocol/paths";
import { etagTimestamp, listQuery, totalFrom, type ListOptions } from "../protocol/listing";
import type { Resolved } from "../protocol/options";
import { execute, type ExecuteFlags, type Scope } from "../protocol/scope";
import type { Capability } from "../http/errors";
import { resolve } from "../protocol/options";

/** One page of a list. */
export interface Page<T> {
  /** The objects of this page. */
  readonly data: T[];
  /**
   * The list's timestamp (its ETag, quotes and a weak `W/` stripped); use it as `since` later.
   * Without an ETag (a proxy dropped it), the newest `last_modified` of the page's objects, else `null`.
   */
  readonly last_modified: string | null;
  /**
   * The total count, when the server sends `Total-Records` on this response. Kinto sends it on
   * HEAD only, so a listing gives `null`; use `getTotalRecords()` for the count.
   */
  readonly totalRecords: number | null;
  /** Whether the server announced another page. */
  readonly hasNextPage: boolean;
  /** The next page (cold); errors when there is none. */
  readonly next: () => Observable<Page<T>>;
}

/**
 * The guard of one listing against endless pagination, as an immutable value: `visit` returns the
 * guard after one more request, or throws a {@link PaginationLoopError} when that request's URL
 * already came (a cycle of any length is found within three times its length, in constant memory: Brent's
 * cycle detection) or when `maxRequests` requests were sent. Visiting from the same guard twice
 * (a retried or re-subscribed page) gives the same result.
 * @example
 * let guard = new PageGuard();
 * guard = guard.visit(first);      // before sending the first request
 * guard = guard.visit(nextPage);   // before sending each Next-Page
 */
export class PageGuard {
  /**
   * @param maxRequests most requests of the listing (default {@link DEFAULT_MAX_PAGE_REQUESTS})
   * @param requests requests visited so far
   * @param mark the URL compared with each later one
   * @param power Brent's period: the mark moves to the current URL after `power` steps, and `power` doubles
   * @param steps steps since the mark last moved
   */
  constructor(
    readonly maxRequests: number = DEFAULT_MAX_PAGE_REQUESTS,
    readonly requests: number = 0,
    private readonly mark?: string,
    private readonly power: number = 1,
    private readonly steps: number = 0,
  ) {
    if (!(maxRequests >= 1)) throw new InvalidArgumentError(`maxRequests must be at least 1, got ${maxRequests}`);
  }

  /**
   * The guard once `request` is sent; throws a {@link PaginationLoopError} instead when it must not be.
   * @param request the request about to be sent (its path and query identify it), or that URL's path and query
   */
  visit(request: KintoRequest | string): PageGuard {
    const key = typeof request === "string" ? request : pathAndQuery(request);
    const summary = { method: typeof request === "string" ? "GET" : request.method, path: key };
    if (key === this.mark) throw new PaginationLoopError("repeated-url", summary, this.requests, this.maxRequests);
    if (this.requests >= this.maxRequests) throw new PaginationLoopError("request-limit", summary, this.requests, this.maxRequests);
    if (this.mark === undefined || this.steps === this.power)
      return new PageGuard(this.maxRequests, this.requests + 1, key, this.mark === undefined ? 1 : this.power * 2, 1);
    return new PageGuard(this.maxRequests, this.requests + 1, this.mark, this.power, this.steps + 1);
  }
}

/**
 * Turns a `Next-Page` URL into a request against the client's own remote: only its path and
 * query are kept, so that a URL pointing at another origin never receives the client's headers.
 */
export function nextPageRequest(remote: string, nextUrl: string): KintoRequest {
  const next = new URL(nextUrl, remote + "/");
  const prefix = versionPrefix(remote);
  if (!next.pathname.startsWith(prefix + "/")) {
    throw new InvalidArgumentError(`Next-Page URL outside the server root: ${next.pathname}`);
  }
  const query: Record<string, string> = {};
  next.searchParams.forEach((value, key) => (query[key] = value));
  return { method: "GET", path: next.pathname.slice(prefix.length), query };
}

/** The newest `last_modified` of `data`, as a string; `null` when none. */
function newest(data: readonly unknown[]): string | null {
  let max = -1;
  for (const item of data) {
    const value = (item as { last_modified?: unknown } | null)?.last_modified;
    if (typeof value === "number" && value > max) max = value;
  }
  return max >= 0 ? String(max) : null;
}

/**
 * Decodes a `{data: [...]}` list; on failure the error's context also names the ids of the
 * offending objects (`... (ids "a", "b")`), taken from the JSON paths `$.data[i]...`.
 */
function decodeList<A>(codec: t.Type<{ data: A[] }, unknown, unknown>, json: unknown, context: string): { data: A[] } {
  try {
    return decodeWith(codec, json, context);
  } catch (error) {
    if (!(error instanceof PayloadValidationError)) throw error;
    const items = (json as { data?: unknown } | null)?.data;
    const ids = new Set<string>();
    for (const issue of error.issues) {
      const index = /^\$\.data\[(\d+)\]/.exec(issue.path)?.[1];
      const id = index !== undefined && Array.isArray(items) ? (items[Number(index)] as { id?: unknown } | null)?.id : undefined;
      if (typeof id === "string") ids.add(JSON.stringify(id));
    }
    if (ids.size === 0) throw error;
    throw new PayloadValidationError(`${context} (ids ${[...ids].join(", ")})`, error.issues);
  }
}

/**
 * Fetches pages starting with `first`, at most `max` of them. Each page is requested only after
 * the previous one was delivered and only if the subscriber is still there: with `take(3)`,
 * exactly three requests are sent. Pages are followed in a loop, never by recursion: a listing of a
 * million pages runs in constant stack depth, even when the executor answers synchronously.
 * @param scope where the requests go
 * @param first the request of the first page
 * @param options resolved transport options
 * @param item codec of one object
 * @param context what is listed, for validation errors
 * @param limits how many pages at most (`max`, default 1), most requests of the listing
 *   (`maxRequests`, see {@link PageGuard}), and the executor's flags of every page request
 */
export function pages<T>(
  scope: Scope,
  first: KintoRequest,
  options: Resolved,
  item: t.Type<T, unknown, unknown>,
  context: string,
  {
    max = 1,
    maxRequests = DEFAULT_MAX_PAGE_REQUESTS,
    flags,
  }: { readonly max?: number; readonly maxRequests?: number; readonly flags?: ExecuteFlags } = {},
): Observable<Page<T>> {
  if (!(max >= 1)) throw new InvalidArgumentError(`pages must be at least 1, got ${max}`);
  const start = new PageGuard(maxRequests);
  const codec = list(item as t.Type<T, unknown, unknown>);
  const fetchPage = (request: KintoRequest, guard: PageGuard): Observable<Page<T>> =>
    execute(scope, request, options, flags).pipe(map((response) => toPage(response, guard)));
  const toPage = (response: KintoResponse, guard: PageGuard): Page<T> => {
    const { data } = decodeList(codec, response.json, context);
    const nextUrl = response.headers.get("Next-Page");
    return {
      data,
      last_modified: etagTimestamp(response.headers.get("ETag")) ?? newest(data),
      totalRecords: totalFrom(response.headers),
      hasNextPage: nextUrl !== null,
      next: () =>
        defer(() => {
          // kinto-http.js's words too: ported code matches /Pagination exhausted./.
          if (nextUrl === null) throw new InvalidArgumentError("There is no next page (Pagination exhausted.).");
          // The next page keeps the method (a paginated DELETE deletes the next chunk) and the
          // headers of the first (bucket, collection and call levels).
          const request = { ...nextPageRequest(scope.executor.remote, nextUrl), method: first.method, headers: first.headers };
          return fetchPage(request, guard.visit(request));
        }),
    };
  };

  return new Observable<Page<T>>((subscriber) => {
    let fetched = 0;
    let pending: Observable<Page<T>> | undefined = defer(() => fetchPage(first, start.visit(first)));
    let inner: Subscription | undefined;
    let looping = false;
    // A page delivered synchronously (inside `subscribe`) only sets `pending`: the loop below
    // subscribes to it. One delivered later starts the loop again.
    const loop = () => {
      looping = true;
      while (pending !== undefined && !subscriber.closed) {
        const current = pending;
        pending = undefined;
        fetched++;
        inner = current.subscribe({
          next: (page) => {
            pagesLeft.set(page, max - fetched);
            subscriber.next(page);
            if (subscriber.closed) return;
            if (page.hasNextPage && fetched < max) {
              pending = page.next();
              if (!looping) loop();
            } else {
              subscriber.complete();
            }
          },
          error: (error: unknown) => subscriber.error(error),
        });
      }
      looping = false;
    };
    loop();
    return () => inner?.unsubscribe();
  });
}

/**
 * DELETE of a list (with filters), one emission per chunk deleted, as a page of tombstones (what
 * kinto-http.js resolves: `{data, last_modified, hasNextPage, next}`). Kinto deletes at most one
 * page (`limit`, else its `paginate_by`) per request and announces the rest with `Next-Page`;
 * `pages` says how many chunks to delete (default 1, `Infinity`: all), each after the previous.
 */
export function deleteList(scope: Scope, path: string, options: ListOptions = {}): Observable<Page<Tombstone>> {
  const query = listQuery(options);
  delete query._sort;
  if (options.sort) query._sort = options.sort;
  const resolved = resolve(scope, options);
  const request: KintoRequest = { method: "DELETE", path, query, headers: resolved.headers };
  return pages(scope, request, resolved, Tombstone, path, { max: options.pages ?? 1, maxRequests: options.maxRequests });
}

/** A stream of pages of `path`; `capability`: the server plugin the endpoint needs, if any. */
export function listObjects<A>(
  scope: Scope,
  path: string,
  codec: t.Type<A, unknown, unknown>,
  options: ListOptions = {},
  capability?: Capability,
): Observable<Page<A>> {
  const resolved = resolve(scope, options);
  const request: KintoRequest = { method: "GET", path, query: listQuery(options), headers: resolved.headers };
  const flags = capability === undefined ? undefined : { capability };
  return pages(scope, request, resolved, codec, path, { max: options.pages ?? 1, maxRequests: options.maxRequests, flags });
}

/** Operator: flattens pages into single objects, in order. */
export function records<T>(): OperatorFunction<Page<T>, T> {
  return mergeMap((page) => from(page.data));
}

/** Operator: gathers every object of every page into one array (the Promise-style result). */
export function allRecords<T>(): OperatorFunction<Page<T>, T[]> {
  return (source) => source.pipe(records<T>(), toArray());
}

/** How many more pages the `pages` option of the stream that emitted a page allows (see toAsyncIterable). */
const pagesLeft = new WeakMap<Page<unknown>, number>();

/**
 * Pulls pages one at a time for `for await`: the next page is requested only when the loop asks
 * for it, and leaving the loop sends nothing more. It yields as many pages as the stream's `pages`
 * option allows (default 1, as the Observable emits; `pages: Infinity` for the whole list).
 * @example
 * for await (const page of toAsyncIterable(collection.listRecords({ limit: 100, pages: Infinity }))) { ... }
 */
export async function* toAsyncIterable<T>(firstPage: Observable<Page<T>>): AsyncGenerator<Page<T>, void, undefined> {
  // page.next() carries the listing's PageGuard: a Next-Page loop ends this loop with a PaginationLoopError.
  let page: Page<T> = await firstValueFrom(firstPage);
  // A page not emitted by `pages()` (a stand-in's) follows `next()` to the end, as before.
  let left = pagesLeft.get(page) ?? Infinity;
  for (;;) {
    yield page;
    if (!page.hasNextPage || left <= 0) return;
    page = await firstValueFrom(page.next());
    left--;
  }
}
