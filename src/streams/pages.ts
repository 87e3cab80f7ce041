/**
 * Pagination as a stream of pages: one emission per page, following the server's `Next-Page`
 * header. A page is requested only while someone still listens, so `pages: Infinity` is lazy.
 */
import * as t from "io-ts";
import { defer, map, Observable, type OperatorFunction, mergeMap, from, toArray, firstValueFrom } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError, PayloadValidationError } from "../http/errors";
import type { KintoRequest, QueryValue } from "../http/request";
import type { KintoResponse } from "../http/transport";
import type { Executor } from "../resources/context";
import type { Resolved, ResourceOptions } from "../resources/options";
import { list } from "../resources/codecs";

/** One page of a list. */
export interface Page<T> {
  /** The objects of this page. */
  readonly data: T[];
  /** The list's timestamp (its ETag, quotes stripped); use it as `since` later. */
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

/** A filter value: equality, or a list for `in_`, `exclude_`, `contains_`... */
export type FilterValue = string | number | boolean | readonly (string | number)[];

/** The generic parameters for sorting, filtering and paginating results. */
export interface ListOptions extends ResourceOptions {
  /** Sort field(s), e.g. `title` or `-last_modified` (default `-last_modified`). */
  readonly sort?: string;
  /** Objects per page (`_limit`); the server's `paginate_by` when unset. */
  readonly limit?: number;
  /** How many pages to fetch (default 1); `Infinity` for all, fetched lazily. */
  readonly pages?: number;
  /** Filters, with Kinto's operators as key prefixes (`min_size`, `in_id`, `has_title`...). */
  readonly filters?: Readonly<Record<string, FilterValue>>;
  /** Only objects changed after this timestamp (`_since`), tombstones included. */
  readonly since?: string | number;
  /** Only objects changed before this timestamp (`_before`). */
  readonly before?: string | number;
  /** Only these fields (`_fields`). */
  readonly fields?: readonly string[];
}

/** Query parameters of {@link ListOptions}. */
export function listQuery(options: ListOptions): Record<string, QueryValue> {
  const query: Record<string, QueryValue> = { _sort: options.sort ?? "-last_modified" };
  if (options.limit !== undefined) query._limit = options.limit;
  if (options.since !== undefined) query._since = unquote(String(options.since));
  if (options.before !== undefined) query._before = unquote(String(options.before));
  if (options.fields) query._fields = options.fields;
  for (const [key, value] of Object.entries(options.filters ?? {})) query[key] = value;
  return query;
}

/** Strips the double quotes of an ETag. */
export function unquote(etag: string): string;
export function unquote(etag: string | null): string | null;
export function unquote(etag: string | null): string | null {
  return etag === null ? null : etag.replace(/"/g, "");
}

/**
 * Turns a `Next-Page` URL into a request against the client's own remote: only its path and
 * query are kept, so that a URL pointing at another origin never receives the client's headers.
 */
export function nextPageRequest(remote: string, nextUrl: string): KintoRequest {
  const base = new URL(remote + "/");
  const next = new URL(nextUrl, base);
  const prefix = base.pathname.replace(/\/$/, "");
  if (!next.pathname.startsWith(prefix + "/")) {
    throw new InvalidArgumentError(`Next-Page URL outside the server root: ${next.pathname}`);
  }
  const query: Record<string, string> = {};
  next.searchParams.forEach((value, key) => (query[key] = value));
  return { method: "GET", path: next.pathname.slice(prefix.length), query };
}

function totalFrom(headers: Headers): number | null {
  const value = headers.get("Total-Records") ?? headers.get("Total-Objects");
  return value !== null && /^\d+$/.test(value) ? Number(value) : null;
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
 * exactly three requests are sent.
 * @param executor the client
 * @param first the request of the first page
 * @param options resolved transport options
 * @param item codec of one object
 * @param context what is listed, for validation errors
 * @param max how many pages at most
 */
export function pages<T>(
  executor: Executor,
  first: KintoRequest,
  options: Resolved,
  item: t.Type<T, unknown, unknown>,
  context: string,
  max = 1,
): Observable<Page<T>> {
  if (!(max >= 1)) throw new InvalidArgumentError(`pages must be at least 1, got ${max}`);
  const codec = list(item as t.Type<T, unknown, unknown>);
  const fetchPage = (request: KintoRequest): Observable<Page<T>> =>
    executor.execute(request, options).pipe(map((response) => toPage(response)));
  const toPage = (response: KintoResponse): Page<T> => {
    const { data } = decodeList(codec, response.json, context);
    const nextUrl = response.headers.get("Next-Page");
    return {
      data,
      last_modified: unquote(response.headers.get("ETag")),
      totalRecords: totalFrom(response.headers),
      hasNextPage: nextUrl !== null,
      next: () =>
        nextUrl === null
          ? defer(() => {
              // kinto-http.js's words too: ported code matches /Pagination exhausted./.
              throw new InvalidArgumentError("There is no next page (Pagination exhausted.).");
            })
          : // The next page keeps the method (a paginated DELETE deletes the next chunk) and the
            // headers of the first (bucket, collection and call levels).
            defer(() => fetchPage({ ...nextPageRequest(executor.remote, nextUrl), method: first.method, headers: first.headers })),
    };
  };

  return new Observable<Page<T>>((subscriber) => {
    let fetched = 0;
    let current = fetchPage(first);
    let inner = { unsubscribe() {} };
    const step = () => {
      fetched++;
      inner = current.subscribe({
        next: (page) => {
          pagesLeft.set(page, max - fetched);
          subscriber.next(page);
          if (subscriber.closed) return;
          if (page.hasNextPage && fetched < max) {
            current = page.next();
            step();
          } else {
            subscriber.complete();
          }
        },
        error: (error: unknown) => subscriber.error(error),
      });
    };
    step();
    return () => inner.unsubscribe();
  });
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
