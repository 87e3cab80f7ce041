/**
 * The live feed: the changes of a collection's records as a cold Observable, polled with `_since`.
 *
 * ```
 * subscribe   HEAD records → cursor = list ETag                 (skipped when `since` is given)
 * poll        GET records?_since=cursor&_sort=last_modified   If-None-Match: "last ETag"
 *               304 → nothing new (one cheap request)
 *               200 → each change not emitted yet (by id and last_modified), Next-Page followed
 *             every window/2 while the ETag moves (and on the first poll), instead:
 * re-read     GET records?_since=cursor−window&_sort=last_modified (no If-None-Match)
 *               emits what committed late, stamped behind the cursor
 * wait        `interval` ms (longer while the server's Backoff is in force), poll again…
 * ```
 *
 * Why a window: on PostgreSQL with several workers, concurrent transactions commit out of
 * timestamp order. A poll can see a change stamped T2 before another stamped T1 < T2 is committed;
 * a cursor at T2 would skip T1 for ever, and T1's late commit need not move the list's ETag (a 304
 * would hide it). So, while the list is busy, the feed re-reads `window` ms behind its cursor
 * (without If-None-Match) every `window / 2` ms, and drops what it already emitted.
 */
import * as t from "io-ts";
import {
  asyncScheduler,
  concat,
  concatMap,
  defer,
  EMPTY,
  expand,
  finalize,
  from,
  ignoreElements,
  Observable,
  repeat,
  tap,
  timer,
  type SchedulerLike,
} from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError, PayloadValidationError, type PaginationLoopError, type RetryAfterTooLongError } from "../http/errors";
import type { KintoRequest } from "../http/request";
import { retryTransient, type RetryPolicy } from "../http/retry";
import type { KintoResponse } from "../http/transport";
import { Tombstone, type KintoObjectMeta } from "../protocol/codecs";
import { listQuery, unquote, type FilterValue } from "../protocol/listing";
import type { Resolved, ResourceOptions } from "../protocol/options";
import { execute, type Scope } from "../protocol/scope";
import { nextPageRequest, PageGuard } from "./pages";
import { resolve } from "../protocol/options";

/** Options of the live feed (`collection.watchRecords(options)`). */
export interface WatchOptions extends Pick<ResourceOptions, "headers" | "timeout"> {
  /**
   * Start after this timestamp (e.g. a `last_modified` or `getRecordsTimestamp()`): every change
   * stamped after it is emitted, the first poll is immediate. Without it, the feed starts from the
   * records list's timestamp at subscription (one HEAD request): only changes stamped after that
   * are emitted.
   */
  readonly since?: string | number;
  /** Milliseconds between the end of one poll and the start of the next (default 1000). */
  readonly interval?: number;
  /**
   * How far behind its cursor, in ms, the feed re-reads to find changes that committed out of
   * timestamp order (default 5000). While the list's ETag moves, and for `window` ms after, the
   * feed re-reads the last `window` ms of timestamps every `window / 2` ms; then it polls with
   * If-None-Match (one 304 per interval when idle). A change is guaranteed when its transaction
   * commits less than `window / 2` ms after a newer change became visible; raise it for servers
   * with longer transactions. `0` is the plain cursor: right only for a single-process server
   * (the memory backend). Cost while busy: about twice the changes re-read; memory: one entry per
   * record changed within the window.
   */
  readonly window?: number;
  /** Only changes of records matching these filters (Kinto's operators as key prefixes). */
  readonly filters?: Readonly<Record<string, FilterValue>>;
  /** Records per page (`_limit`); the server's `paginate_by` when unset. Pages are always all followed. */
  readonly limit?: number;
  /** Most requests of one poll, its pages followed (default `DEFAULT_MAX_PAGE_REQUESTS`, 100,000): beyond, a {@link PaginationLoopError}. */
  readonly maxRequests?: number;
  /** Consecutive failed polls retried before the feed errors (default: unlimited; the client's `retry` does not apply). */
  readonly retry?: number;
  /**
   * The retry delays, over the client's `retryPolicy` (same names): `baseDelay` (default 500 ms for
   * feeds: the first delay, doubled at each consecutive failure, with jitter, and never shorter,
   * even after a `Retry-After: 0`), `maxDelay` (its cap, 30 s), `maxRetryAfter` (the longest
   * server `Retry-After` waited for, 2 min: a longer one ends the feed with a
   * {@link RetryAfterTooLongError}) and `random` (the jitter's source).
   */
  readonly retryPolicy?: Partial<Pick<RetryPolicy, "baseDelay" | "maxDelay" | "maxRetryAfter" | "random">>;
  /** Scheduler of the feed's timers (intervals, retries, Backoff waits, the quiet clock); for tests. */
  readonly scheduler?: SchedulerLike;
}

/** One change seen by the feed: a created or updated record, or the tombstone of a deleted one. */
export type Change<T> = T | Tombstone;

/**
 * Defaults of {@link WatchOptions}. `timeout` (30 s) bounds every request of a poll, body included,
 * when neither the call nor the client sets one: a stalled server is aborted and retried.
 */
export const WATCH_DEFAULTS = { interval: 1000, window: 5000, timeout: 30_000, retry: Infinity, retryPolicy: { baseDelay: 500 } } as const;

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
 * What a feed knows between polls: its cursor (the newest timestamp seen), the changes it emitted
 * within `window` ms behind the cursor (so that a re-read never emits one twice, nor an older
 * version of a record after a newer one), and when the list's ETag last moved and the window was
 * last re-read. Memory: one entry per record changed in the last `window` ms of timestamps.
 */
export class FeedWindow {
  /** Newest timestamp seen (a change's `last_modified` or the list's ETag). */
  cursor: number | undefined;
  /** Changes stamped at or before this were there before the feed started: not emitted. */
  private floor: number | undefined;
  /** Last emitted `last_modified` of each record changed within the window. */
  private readonly emitted = new Map<string, number>();
  /** The list's ETag, when it was first seen, and when the window was last re-read. */
  private etag: number | undefined;
  private etagSeenAt = 0;
  private reread: number | undefined;

  /**
   * @param start the starting timestamp; `undefined` lists from the beginning
   * @param window see {@link WatchOptions.window}
   * @param now the clock of re-reads and quiet periods (ms)
   */
  constructor(
    start: number | undefined,
    private readonly window: number,
    private readonly now: () => number,
  ) {
    this.cursor = this.floor = start;
  }

  /**
   * What the next poll reads: the window behind the cursor (no If-None-Match) when a re-read is
   * due, else what is after the cursor, with the last ETag as If-None-Match (a 304 when idle).
   * A re-read is due on the first poll, then every `window / 2` ms until one has run `window` ms
   * after the ETag last moved: late commits are looked for while the list is busy, and a little
   * after.
   */
  next(): { since: number | undefined; ifNoneMatch: number | undefined; reread: boolean } {
    const now = this.now();
    const due =
      this.window > 0 &&
      (this.reread === undefined || (now - this.reread >= this.window / 2 && this.reread - this.etagSeenAt <= this.window));
    if (due) {
      this.reread = now;
      return {
        since: this.cursor === undefined ? undefined : Math.max(0, this.cursor - this.window),
        ifNoneMatch: undefined,
        reread: true,
      };
    }
    // If-None-Match only once everything up to that ETag was read: a poll that failed half-way
    // (cursor still behind it) must read on, or its 304 would pass over the unread pages.
    const caughtUp = this.etag !== undefined && this.cursor !== undefined && this.cursor >= this.etag;
    return { since: this.cursor, ifNoneMatch: caughtUp ? this.etag : undefined, reread: false };
  }

  /** Notes the list's ETag of a 200 or 304 answer (the first page's). */
  observeEtag(etag: number | undefined): void {
    if (etag === undefined || etag === this.etag) return;
    this.etag = etag;
    this.etagSeenAt = this.now();
  }

  /** Keeps the items not emitted yet (nor superseded), in order, and moves the cursor past them. */
  accept<T>(items: readonly T[]): T[] {
    const fresh: T[] = [];
    for (const item of items) {
      const { id, last_modified } = item as unknown as KintoObjectMeta;
      this.advance(last_modified);
      const previous = this.emitted.get(id);
      if (previous !== undefined && previous >= last_modified) continue;
      this.emitted.set(id, last_modified);
      // Until the first poll is complete, what is stamped before the start is the baseline: there
      // before the feed, not emitted. Later, such a change is one that committed late: emitted.
      if (this.floor !== undefined && last_modified <= this.floor) continue;
      fresh.push(item);
    }
    return fresh;
  }

  /**
   * A poll has read every page: the cursor may move to the list's ETag (nothing is stamped at or
   * before it that this poll has not seen, but what commits late), and the baseline is read (see
   * {@link FeedWindow.accept}). Not before: a poll that fails half-way is read again from the cursor.
   */
  pollComplete(): void {
    if (this.etag !== undefined) this.advance(this.etag);
    this.floor = undefined;
  }

  /** Starts from the list's timestamp (a HEAD's ETag) instead of the constructor's `start`. */
  startAt(timestamp: number | undefined): void {
    this.cursor = this.floor = timestamp;
  }

  /**
   * Ends a poll (complete or not): what is older than the window cannot come back (what is at its
   * edge, a server could list again); forget it.
   */
  settle(): void {
    if (this.cursor === undefined) return;
    const edge = this.cursor - this.window;
    for (const [id, lastModified] of this.emitted) if (lastModified < edge) this.emitted.delete(id);
  }

  /** How many changes the window holds (for tests: memory stays bounded). */
  get size(): number {
    return this.emitted.size;
  }

  private advance(timestamp: number): void {
    if (this.cursor === undefined || timestamp > this.cursor) this.cursor = timestamp;
  }
}

function checkOptions(options: WatchOptions): void {
  const { since, interval, window, retry, limit } = options;
  const { baseDelay, maxDelay, maxRetryAfter } = options.retryPolicy ?? {};
  if (since !== undefined && !/^\d+$/.test(unquote(String(since)))) {
    throw new InvalidArgumentError(`since must be a timestamp (digits), got ${JSON.stringify(since)}.`);
  }
  for (const [name, value] of Object.entries({ interval, window, retry, baseDelay, maxDelay, maxRetryAfter })) {
    if (value !== undefined && !(value >= 0)) throw new InvalidArgumentError(`${name} must be a number >= 0, got ${value}.`);
  }
  if (limit !== undefined && !(Number.isInteger(limit) && limit >= 1))
    throw new InvalidArgumentError(`limit must be an integer >= 1, got ${limit}.`);
}

/** What one subscription of a feed works with, options resolved. */
interface FeedContext<T> {
  readonly scope: Scope;
  readonly resolved: Resolved;
  readonly path: string;
  readonly record: t.Type<T, unknown, unknown>;
  readonly filters?: WatchOptions["filters"];
  readonly limit?: number;
  readonly maxRequests?: number;
  readonly scheduler?: SchedulerLike;
}

/** An ETag header as a timestamp (`"123"`, or the weak `W/"123"` of a compressing proxy). */
function etagOf(response: KintoResponse): number | undefined {
  const value = response.headers.get("ETag");
  if (value === null) return undefined;
  const digits = /^(?:W\/)?"?(\d+)"?$/.exec(value.trim());
  return digits ? Number(digits[1]) : undefined;
}

/**
 * The responses of a listing: `first`, then each Next-Page in turn. A loop (`expand`), not a
 * recursion: a catch-up of thousands of pages keeps a constant stack. A Next-Page that comes back
 * (a server or proxy looping) or more than `maxRequests` pages end the feed with a
 * {@link PaginationLoopError}.
 */
function listing<T>(feed: FeedContext<T>, first: KintoRequest): Observable<KintoResponse> {
  return defer(() => {
    let guard = new PageGuard(feed.maxRequests);
    const send = (request: KintoRequest) => {
      guard = guard.visit(request);
      return execute(feed.scope, request, feed.resolved, { waitBackoff: true });
    };
    return send(first).pipe(
      expand((response) => {
        const next = response.status === 304 ? null : response.headers.get("Next-Page");
        // Later pages carry the resolved headers, not the first page's If-None-Match.
        return next === null
          ? EMPTY
          : defer(() => send({ ...nextPageRequest(feed.scope.executor.remote, next), headers: feed.resolved.headers }));
      }, 1),
    );
  });
}

/** One poll (see {@link FeedWindow.next}): the changes not emitted yet, in `last_modified` order within the poll. */
function poll<T>(feed: FeedContext<T>, state: FeedWindow): Observable<Change<T>> {
  return defer(() => {
    const { since, ifNoneMatch } = state.next();
    const request: KintoRequest = {
      method: "GET",
      path: feed.path,
      query: listQuery({
        sort: "last_modified",
        since: since === undefined ? undefined : String(since),
        filters: feed.filters,
        limit: feed.limit,
      }),
      headers: ifNoneMatch === undefined ? feed.resolved.headers : { ...feed.resolved.headers, "If-None-Match": `"${ifNoneMatch}"` },
    };
    let first = true;
    return listing(feed, request).pipe(
      concatMap((response) => {
        if (first) state.observeEtag(etagOf(response));
        first = false;
        if (response.status === 304) return EMPTY;
        return from(state.accept(decodeChanges(response.json, feed.record, feed.path)));
      }),
      tap({ complete: () => state.pollComplete() }),
      finalize(() => state.settle()),
    );
  });
}

/** Moves the cursor to the records list's timestamp (one HEAD); emits nothing. */
function startAtListTimestamp<T>(feed: FeedContext<T>, state: FeedWindow): Observable<never> {
  const head: KintoRequest = { method: "HEAD", path: feed.path, headers: feed.resolved.headers };
  return execute(feed.scope, head, feed.resolved, { waitBackoff: true }).pipe(
    concatMap((response) => {
      state.startAt(etagOf(response));
      return EMPTY;
    }),
  );
}

/** What a feed watches: a records list, where its requests go, and the codec of one record. */
export interface FeedTarget<T> {
  /** The collection's scope (client, handler, option levels). */
  readonly scope: Scope;
  /** The records list's path. */
  readonly path: string;
  /** The codec of one record. */
  readonly codec: t.Type<T, unknown, unknown>;
}

/**
 * A live feed of the changes of a records list: created and updated records, and the tombstones
 * (`{id, last_modified, deleted: true}`) of deleted ones. Cold: each subscription polls on its
 * own; unsubscribing aborts the request in flight and clears every timer.
 *
 * Guarantee (on every Kinto backend, PostgreSQL with several workers included): every committed
 * change stamped after the start is emitted, or superseded by a later emitted version of the same
 * record; never twice; a record's versions in order. Changes of different records come in
 * `last_modified` order within a poll; a change committed late (out of timestamp order) comes in
 * the first poll that sees it, after newer changes of other records. See {@link WatchOptions.window}
 * for the limit.
 *
 * Transient failures (network, timeouts, 5xx, invalid JSON) are retried by the same operator as
 * every request ({@link retryTransient}: jitter, the client's retry budget, waits announced on
 * `waiting$`), unlimited by default (`retry`); other errors (4xx, {@link PayloadValidationError})
 * end the feed. When the budget refuses a retry, the feed waits `maxDelay` instead of failing. No
 * request is sent while the server's Backoff is in force (the chain's Backoff link).
 * @param target the records list and its codec
 * @param options see {@link WatchOptions}
 * @example
 * collection.watchRecords({ interval: 500 }).subscribe((change) =>
 *   "deleted" in change ? console.log("deleted", change.id) : console.log("changed", change));
 */
export function watch<T>(target: FeedTarget<T>, options: WatchOptions = {}): Observable<Change<T>> {
  return defer(() => {
    checkOptions(options);
    const { interval, window, retry } = { ...WATCH_DEFAULTS, ...withoutUndefined(options) };
    const { scheduler, filters, limit } = options;
    const executor = target.scope.executor;
    const resolved = resolve(target.scope, { headers: options.headers, timeout: options.timeout });
    const feed: FeedContext<T> = {
      scope: target.scope,
      // The feed owns its retries (a poll is retried whole): the chain sends each attempt once.
      resolved: { ...resolved, retry: 0, timeout: resolved.timeout ?? WATCH_DEFAULTS.timeout },
      path: target.path,
      record: target.codec,
      filters,
      limit,
      maxRequests: options.maxRequests,
      scheduler,
    };
    const clock = scheduler ?? executor.scheduler ?? asyncScheduler;
    const start = options.since === undefined ? undefined : Number(unquote(String(options.since)));
    const state = new FeedWindow(start, window, () => clock.now());
    const policy = { ...executor.retryPolicyFor(retry), ...WATCH_DEFAULTS.retryPolicy, ...withoutUndefined(options.retryPolicy ?? {}) };
    const options$ = {
      ...policy,
      idempotent: true, // the feed sends only GET and HEAD
      minDelay: policy.baseDelay,
      whenRefused: policy.maxDelay,
      resetOnSuccess: true,
      scheduler: scheduler ?? executor.scheduler,
    };
    const retried = <X>(source: Observable<X>): Observable<X> => source.pipe(retryTransient<X>(options$));

    const polls = retried(poll(feed, state));
    const first = options.since === undefined ? retried(startAtListTimestamp(feed, state)) : polls;
    const loop = concat(timer(interval, clock).pipe(ignoreElements()), polls).pipe(repeat());
    return concat(first, loop);
  });
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(Object.entries(value).filter(([, v]) => v !== undefined)) as Partial<T>;
}
