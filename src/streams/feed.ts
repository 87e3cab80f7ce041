/**
 * The live feed: the changes of a collection's records as a cold Observable, polled with `_since`.
 *
 * ```
 * subscribe   HEAD records → cursor = list ETag        (skipped when `since` is given)
 * poll        GET records?_since=cursor&_sort=last_modified   If-None-Match: "cursor"
 *               304 → nothing new (one cheap request)
 *               200 → each change, oldest first, Next-Page followed; cursor = last one's last_modified
 * wait        `interval` ms (longer while the server's Backoff is in force), poll again…
 * ```
 */
import * as t from "io-ts";
import {
  concat,
  concatMap,
  defer,
  EMPTY,
  from,
  ignoreElements,
  Observable,
  of,
  repeat,
  retry,
  throwError,
  timer,
  type MonoTypeOperatorFunction,
  type SchedulerLike,
} from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError, KintoHttpError, PayloadValidationError, RetryAfterTooLongError } from "../http/errors";
import type { KintoRequest } from "../http/request";
import type { Notices } from "../http/notices";
import { isTransient } from "../http/retry";
import { Tombstone, type KintoObjectMeta } from "../resources/codecs";
import type { Collection, RecordOf } from "../resources/collection";
import { resolve } from "../resources/operations";
import type { Executor } from "../resources/context";
import type { Resolved, ResourceOptions } from "../resources/options";
import { listQuery, nextPageRequest, unquote, type FilterValue } from "./pages";

/** Options of the live feed (`collection.watchRecords(options)`). */
export interface WatchOptions extends Pick<ResourceOptions, "headers" | "timeout"> {
  /**
   * Start after this timestamp (e.g. a `last_modified` or `getRecordsTimestamp()`): every change
   * after it is emitted, the first poll is immediate. Without it, the feed starts from the records
   * list's timestamp at subscription (one HEAD request): only changes made after that are emitted.
   */
  readonly since?: string | number;
  /** Milliseconds between the end of one poll and the start of the next (default 1000). */
  readonly interval?: number;
  /** Only changes of records matching these filters (Kinto's operators as key prefixes). */
  readonly filters?: Readonly<Record<string, FilterValue>>;
  /** Records per page (`_limit`); the server's `paginate_by` when unset. Pages are always all followed. */
  readonly limit?: number;
  /** Consecutive failed attempts retried before the feed errors (default: unlimited). */
  readonly maxRetries?: number;
  /** First retry delay in ms, doubled at each consecutive failure (default 500). A Retry-After wins. */
  readonly retryDelay?: number;
  /** Cap of the retry delay in ms (default 30 000). */
  readonly maxRetryDelay?: number;
  /**
   * Longest server `Retry-After` waited for, in ms (default 120 000); a longer one ends the feed
   * with a {@link RetryAfterTooLongError} instead of sleeping.
   */
  readonly maxRetryAfter?: number;
  /** Scheduler of the feed's timers (intervals, retries, Backoff waits); for tests. */
  readonly scheduler?: SchedulerLike;
}

/** One change seen by the feed: a created or updated record, or the tombstone of a deleted one. */
export type Change<T> = T | Tombstone;

/** Defaults of {@link WatchOptions}. */
export const WATCH_DEFAULTS = { interval: 1000, maxRetries: Infinity, retryDelay: 500, maxRetryDelay: 30_000, maxRetryAfter: 120_000 } as const;

/**
 * The delay before retry number `attempt` (1-based) of a feed: the server's Retry-After when it
 * sent one, else `base · 2^(attempt-1)` capped at `max`.
 */
export function feedRetryDelay(error: unknown, attempt: number, base: number, max: number): number {
  if (error instanceof KintoHttpError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  return Math.min(max, base * 2 ** (attempt - 1));
}

const ListOfUnknown = t.type({ data: t.array(t.unknown) });

/**
 * Decodes the items of a `_since` listing: a tombstone (the Tombstone codec) when an item says
 * `deleted: true`, else a record (the collection's codec). A {@link PayloadValidationError} names
 * the item's JSON path (`$.data[3].title`).
 * @param json the listing's body
 * @param record codec of one record
 * @param context what is listed, for errors
 */
export function decodeChanges<T>(json: unknown, record: t.Type<T, unknown, unknown>, context: string): Change<T>[] {
  return decodeWith(ListOfUnknown, json, context).data.map((item, i) => {
    const deleted = (item as { deleted?: unknown } | null)?.deleted === true;
    try {
      return deleted ? decodeWith(Tombstone, item, context) : decodeWith(record, item, context);
    } catch (error) {
      if (!(error instanceof PayloadValidationError)) throw error;
      const issues = error.issues.map((issue) => ({ ...issue, path: `$.data[${i}]${issue.path.slice(1)}` }));
      throw new PayloadValidationError(context, issues);
    }
  });
}

/**
 * Where a feed is: the cursor (a timestamp, as a string) and the changes emitted at or after it,
 * so that a change seen again (a retried poll, the cursor's boundary) is never emitted twice.
 */
export class FeedCursor {
  private readonly seen = new Map<string, number>();

  /** @param value the starting timestamp; `undefined` lists from the beginning */
  constructor(public value: string | undefined) {}

  /** Keeps the items not emitted yet, in order, and moves the cursor past every item. */
  accept<T>(items: readonly T[]): T[] {
    const fresh: T[] = [];
    for (const item of items) {
      const { id, last_modified } = item as unknown as KintoObjectMeta;
      const key = `${last_modified}/${id}`;
      this.advance(last_modified);
      if (this.seen.has(key)) continue;
      this.seen.set(key, last_modified);
      fresh.push(item);
    }
    // What is older than the cursor cannot come back with `_since=cursor`: forget it.
    const floor = Number(this.value);
    for (const [key, lastModified] of this.seen) if (lastModified < floor) this.seen.delete(key);
    return fresh;
  }

  /** Moves the cursor to `timestamp` if it is later. */
  advance(timestamp: string | number | null): void {
    if (timestamp === null) return;
    if (this.value === undefined || Number(timestamp) > Number(this.value)) this.value = String(timestamp);
  }
}

/** One page of a poll: its changes and the list's ETag. */
interface FeedPage<T> {
  readonly items: Change<T>[];
  readonly etag: string | null;
}

function checkOptions(options: WatchOptions): void {
  const { since, interval, maxRetries, retryDelay, maxRetryDelay, maxRetryAfter, limit } = options;
  if (since !== undefined && !/^\d+$/.test(unquote(String(since)))) {
    throw new InvalidArgumentError(`since must be a timestamp (digits), got ${JSON.stringify(since)}.`);
  }
  for (const [name, value] of Object.entries({ interval, maxRetries, retryDelay, maxRetryDelay, maxRetryAfter })) {
    if (value !== undefined && !(value >= 0)) throw new InvalidArgumentError(`${name} must be a number >= 0, got ${value}.`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1)) throw new InvalidArgumentError(`limit must be an integer >= 1, got ${limit}.`);
}

/** What one subscription of a feed works with, options resolved. */
interface FeedContext<T> {
  readonly executor: Executor;
  readonly resolved: Resolved;
  readonly path: string;
  readonly record: t.Type<T, unknown, unknown>;
  readonly filters?: WatchOptions["filters"];
  readonly limit?: number;
  readonly scheduler?: SchedulerLike;
}

/** Operator: retries transient failures (the feed only sends GET and HEAD) with {@link feedRetryDelay}. */
function retryTransientFeed<X>(count: number, base: number, max: number, maxRetryAfter: number, scheduler?: SchedulerLike): MonoTypeOperatorFunction<X> {
  return retry<X>({
    count,
    delay: (error: unknown, attempt: number) => {
      if (!isTransient(error, true)) return throwError(() => error);
      if (error instanceof KintoHttpError && error.retryAfterMs !== undefined && error.retryAfterMs > maxRetryAfter) {
        return throwError(() => new RetryAfterTooLongError(error.retryAfterMs!, maxRetryAfter, error));
      }
      return timer(feedRetryDelay(error, attempt, base, max), scheduler);
    },
  });
}

/** Operator: subscribes to the source only once the server's Backoff (if any) is over. */
function afterBackoff<X>(notices: Notices, scheduler?: SchedulerLike): MonoTypeOperatorFunction<X> {
  return (source) =>
    defer(() => {
      const wait = notices.backoffRemaining();
      return wait > 0 ? concat(timer(wait, scheduler).pipe(ignoreElements()), source) : source;
    });
}

/** The pages answering `request`, Next-Page followed; nothing on a 304. */
function changePages<T>(feed: FeedContext<T>, request: KintoRequest): Observable<FeedPage<T>> {
  return feed.executor.execute(request, feed.resolved, { waitBackoff: true }).pipe(
    concatMap((response) => {
      if (response.status === 304) return EMPTY;
      const page = { items: decodeChanges(response.json, feed.record, feed.path), etag: unquote(response.headers.get("ETag")) };
      const next = response.headers.get("Next-Page");
      if (next === null) return of(page);
      // Later pages carry the resolved headers, not the first page's If-None-Match.
      const nextRequest = (): KintoRequest => ({ ...nextPageRequest(feed.executor.remote, next), headers: feed.resolved.headers });
      return concat(of(page), defer(() => changePages(feed, nextRequest())));
    }),
  );
}

/**
 * One poll: the changes after the cursor, oldest first. When nothing matched (other records
 * changed, or the filters exclude them), the cursor jumps to the list's ETag, so that the next
 * idle poll is a 304.
 */
function poll<T>(feed: FeedContext<T>, cursor: FeedCursor): Observable<Change<T>> {
  return defer(() => {
    const since = cursor.value;
    let matched = false;
    let etag: string | null = null;
    const request: KintoRequest = {
      method: "GET",
      path: feed.path,
      query: listQuery({ sort: "last_modified", since, filters: feed.filters, limit: feed.limit }),
      headers: since === undefined ? feed.resolved.headers : { ...feed.resolved.headers, "If-None-Match": `"${since}"` },
    };
    const changes = changePages(feed, request).pipe(
      concatMap((page) => {
        etag = page.etag;
        matched ||= page.items.length > 0;
        return from(cursor.accept(page.items));
      }),
    );
    const jump = defer(() => {
      if (!matched) cursor.advance(etag);
      return EMPTY;
    });
    return concat(changes, jump);
  });
}

/** Moves the cursor to the records list's timestamp (one HEAD); emits nothing. */
function startAtListTimestamp<T>(feed: FeedContext<T>, cursor: FeedCursor): Observable<never> {
  const head: KintoRequest = { method: "HEAD", path: feed.path, headers: feed.resolved.headers };
  return feed.executor.execute(head, feed.resolved, { waitBackoff: true }).pipe(
    concatMap((response) => {
      cursor.advance(unquote(response.headers.get("ETag")));
      return EMPTY;
    }),
  );
}

/**
 * A live feed of the changes of `collection`'s records: created and updated records, and the
 * tombstones (`{id, last_modified, deleted: true}`) of deleted ones, each once, in `last_modified`
 * order. Cold: each subscription polls on its own; unsubscribing aborts the request in flight and
 * clears every timer.
 *
 * Transient failures (network, timeouts, 5xx, invalid JSON) are retried with a capped exponential
 * delay, unlimited by default (`maxRetries`); other errors (4xx, {@link PayloadValidationError})
 * end the feed. No request is sent while the server's Backoff is in force.
 * @param collection the watched collection (its codec decodes the records)
 * @param options see {@link WatchOptions}
 * @example
 * collection.watchRecords({ interval: 500 }).subscribe((change) =>
 *   "deleted" in change ? console.log("deleted", change.id) : console.log("changed", change));
 */
export function watch<C extends t.Mixed | undefined>(collection: Collection<C>, options: WatchOptions = {}): Observable<Change<RecordOf<C>>> {
  return defer(() => {
    checkOptions(options);
    const { interval, maxRetries, retryDelay, maxRetryDelay, maxRetryAfter } = { ...WATCH_DEFAULTS, ...withoutUndefined(options) };
    const { scheduler, filters, limit } = options;
    const executor = collection.scope.executor;
    const feed: FeedContext<RecordOf<C>> = {
      executor,
      // The feed owns its retries: the executor sends each attempt once.
      resolved: { ...resolve(collection.scope, { headers: options.headers, timeout: options.timeout }), retry: 0 },
      path: collection.recordPath(),
      record: collection.recordCodec,
      filters,
      limit,
      scheduler,
    };
    const cursor = new FeedCursor(options.since === undefined ? undefined : unquote(String(options.since)));
    const guarded = <X>(source: Observable<X>) =>
      source.pipe(afterBackoff(executor.notices, scheduler), retryTransientFeed(maxRetries, retryDelay, maxRetryDelay, maxRetryAfter, scheduler));

    const polls = guarded(poll(feed, cursor));
    const start = options.since === undefined ? guarded(startAtListTimestamp(feed, cursor)) : polls;
    const loop = concat(timer(interval, scheduler).pipe(ignoreElements()), polls).pipe(repeat());
    return concat(start, loop);
  });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
