/**
 * `listRecords({at})`: the records of a collection as they were at a past timestamp. The server
 * computes it when it can (the history plugin's `/buckets/{bid}/snapshot/collections/{cid}@{at}`,
 * Kinto 19+); otherwise it is rebuilt here by replaying the bucket's history:
 *
 * ```
 * history:  create a@10 -- update a@20 -- create b@30 -- delete a@40
 * at = 35:  [b@30, a@20]          (one page, newest first)
 * ```
 */
import * as t from "io-ts";
import { catchError, defer, map, switchMap, throwError, toArray, type Observable } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError, KintoHttpError } from "../http/errors";
import { capabilitiesOf } from "../protocol/capabilities";
import { HistoryEntry, list } from "../protocol/codecs";
import { fetchJson } from "../protocol/operations";
import { paths } from "../protocol/paths";
import type { ResourceOptions } from "../protocol/options";
import type { Scope } from "../protocol/scope";
import { records, type Page, listObjects } from "./pages";
import { unquote } from "../protocol/listing";
import { IncompleteHistoryError } from "./errors";

export { IncompleteHistoryError } from "./errors";

/** `at` as a positive integer: a number, or digits (a `getRecordsTimestamp()` ETag, quotes and all). */
export function snapshotTime(at: unknown): number {
  const value = typeof at === "string" && /^"?\d+"?$/.test(at) ? Number(unquote(at)) : at;
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value <= 0) {
    throw new InvalidArgumentError(
      `The "at" option must be a positive integer timestamp, got ${typeof at === "string" ? JSON.stringify(at) : String(at)}.`,
    );
  }
  return value;
}

/**
 * One page holding the records of `collection` as they were at `at`, sorted by `-last_modified`.
 * On a server with the `history` capability, asked of its snapshot endpoint; where that endpoint
 * does not exist (an older Kinto answers 404 for the route, without naming a resource), and on a
 * server that does not announce `history`, rebuilt by {@link replaySnapshot}.
 * @param collection the collection and its record codec
 * @param at a positive integer timestamp (ms), or the ETag of `getRecordsTimestamp()`
 * @param options transport options (headers, retry, timeout); list options are ignored
 * @example
 * collection.listRecords({ at: 1700000000000 }).subscribe((page) => console.log(page.data));
 */
/** What a snapshot reads: a collection (by its bucket's and its own id), its scope and record codec. */
export interface SnapshotTarget<T> {
  /** The collection's scope. */
  readonly scope: Scope;
  /** The bucket id. */
  readonly bucket: string;
  /** The collection id. */
  readonly collection: string;
  /** The codec of one record. */
  readonly codec: t.Type<T, unknown, unknown>;
}

export function snapshot<T>(collection: SnapshotTarget<T>, at: number | string, options: ResourceOptions = {}): Observable<Page<T>> {
  return defer(() => {
    const time = snapshotTime(at);
    const { headers, retry, timeout } = options;
    const transport = { headers, retry, timeout };
    const bid = collection.bucket;
    const cid = collection.collection;
    const path = paths.snapshot(bid, cid, time);
    const context = `snapshot of ${paths.record(bid, cid)} at ${time}`;
    const replayed = replaySnapshot<T>(collection, time, transport);
    const served = fetchJson(collection.scope, { method: "GET", path }, transport, list(t.UnknownRecord), context).pipe(
      map(({ data }) =>
        toSnapshotPage<T>(
          data.map((record) => decodeRecord<T>(collection, record, context)),
          time,
        ),
      ),
      catchError((error: unknown) => (isUnknownRoute(error) ? replayed : throwError(() => error))),
    );
    return capabilitiesOf(collection.scope.executor).pipe(
      switchMap((capabilities) => (capabilities && "history" in capabilities ? served : replayed)),
    );
  });
}

/** One record of a snapshot, decoded by the collection's codec; an error names its id. */
function decodeRecord<T>(collection: SnapshotTarget<T>, record: Record<string, unknown>, context: string): T {
  return decodeWith(collection.codec, record, `record ${JSON.stringify(record.id)} of ${context}`) as T;
}

/** Kinto's 404 for a URL it has no route for: no `details` (a missing object's 404 names it there). */
function isUnknownRoute(error: unknown): boolean {
  return error instanceof KintoHttpError && error.status === 404 && error.details === undefined;
}

/**
 * The snapshot rebuilt from the bucket's history: for each record, its latest history entry at or
 * before `at`, deleted ones left out. Refuses (errors) when the history has no `create` entry of
 * the collection: it was enabled after the collection was created, so older records would be missing.
 */
export function replaySnapshot<T>(collection: SnapshotTarget<T>, at: number, transport: ResourceOptions): Observable<Page<T>> {
  const bid = collection.bucket;
  const cid = collection.collection;
  const historyPath = paths.history(bid);
  const context = `snapshot of ${paths.record(bid, cid)} at ${at}`;

  const creation$ = listObjects(
    collection.scope,
    historyPath,
    HistoryEntry,
    {
      ...transport,
      limit: 1,
      filters: { action: "create", resource_name: "collection", collection_id: cid },
    },
    "history",
  );
  const entries$ = listObjects(
    collection.scope,
    historyPath,
    HistoryEntry,
    {
      ...transport,
      pages: Infinity,
      sort: "last_modified",
      filters: { resource_name: "record", collection_id: cid, "max_target.data.last_modified": at },
    },
    "history",
  ).pipe(records(), toArray());

  return creation$.pipe(
    switchMap((page) => {
      if (page.data.length === 0) {
        throw new IncompleteHistoryError(
          `Cannot list ${paths.record(bid, cid)} at ${at}: the history has no creation of the collection ` +
            "(the history plugin was enabled after it was created), and the server has no snapshot endpoint.",
        );
      }
      return entries$;
    }),
    map((entries) => {
      const state = replay(entries, at);
      return toSnapshotPage<T>(
        [...state.values()].map((record) => decodeRecord<T>(collection, record, context)),
        at,
      );
    }),
  );
}

/** The record's own timestamp in an entry (the entry's when the target has none). */
function recordTime(entry: HistoryEntry): number {
  const value = entry.target?.data.last_modified;
  return typeof value === "number" ? value : entry.last_modified;
}

/**
 * Replays history entries (any order): per record id, the latest entry at or before `at`; records
 * whose latest entry is a deletion are left out.
 */
export function replay(entries: readonly HistoryEntry[], at: number): Map<string, Record<string, unknown>> {
  const latest = new Map<string, HistoryEntry>();
  for (const entry of entries) {
    const id = entry.record_id ?? (entry.target?.data.id as string | undefined);
    if (id === undefined || recordTime(entry) > at) continue;
    const seen = latest.get(id);
    if (
      !seen ||
      recordTime(entry) > recordTime(seen) ||
      (recordTime(entry) === recordTime(seen) && entry.last_modified > seen.last_modified)
    ) {
      latest.set(id, entry);
    }
  }
  const state = new Map<string, Record<string, unknown>>();
  for (const [id, entry] of latest) {
    if (entry.action === "delete" || !entry.target || entry.target.data.deleted === true) continue;
    state.set(id, entry.target.data);
  }
  return state;
}

function toSnapshotPage<T>(records: T[], at: number): Page<T> {
  const data = [...records].sort((a, b) => lastModified(b) - lastModified(a));
  return {
    data,
    last_modified: String(at),
    totalRecords: data.length,
    hasNextPage: false,
    next: () =>
      defer(() => {
        throw new InvalidArgumentError("A snapshot is one page: there is no next page (Pagination exhausted.).");
      }),
  };
}

function lastModified(record: unknown): number {
  const value = (record as { last_modified?: unknown }).last_modified;
  return typeof value === "number" ? value : 0;
}
