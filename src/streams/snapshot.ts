/**
 * `listRecords({at})`: the records of a collection as they were at a past timestamp, rebuilt from
 * the bucket's history (history plugin).
 *
 * ```
 * history:  create a@10 -- update a@20 -- create b@30 -- delete a@40
 * at = 35:  [b@30, a@20]          (one page, newest first)
 * ```
 */
import { defer, map, switchMap, toArray, type Observable } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError } from "../http/errors";
import { HistoryEntry } from "../resources/codecs";
import type { Collection } from "../resources/collection";
import { listObjects } from "../resources/operations";
import { paths } from "../resources/paths";
import type { ResourceOptions } from "../resources/options";
import { records, type Page } from "./pages";

/** Thrown by `listRecords({at})` when the history does not go back to the collection's creation. */
export class IncompleteHistoryError extends InvalidArgumentError {}

/**
 * One page holding the records of `collection` as they were at `at`: for each record, its latest
 * history entry at or before `at`, deleted ones left out, sorted by `-last_modified`.
 * Refuses (errors) when the history has no `create` entry of the collection: it was enabled after
 * the collection was created, so older records would be missing.
 * @param collection the collection (its `recordCodec` decodes the records)
 * @param at a positive integer timestamp (ms), e.g. from `getRecordsTimestamp()`
 * @param options transport options (headers, retry, timeout); list options are ignored
 * @example
 * collection.listRecords({ at: 1700000000000 }).subscribe((page) => console.log(page.data));
 */
export function snapshot<T>(collection: Collection<any>, at: number, options: ResourceOptions = {}): Observable<Page<T>> {
  return defer(() => {
    if (typeof at !== "number" || !Number.isInteger(at) || at <= 0) {
      throw new InvalidArgumentError(`The "at" option must be a positive integer timestamp, got ${String(at)}.`);
    }
    const { headers, retry, timeout } = options;
    const transport = { headers, retry, timeout };
    const bid = collection.bucket.name;
    const cid = collection.name;
    const historyPath = paths.history(bid);
    const context = `snapshot of ${paths.record(bid, cid)} at ${at}`;

    const creation$ = listObjects(collection.scope, historyPath, HistoryEntry, {
      ...transport,
      limit: 1,
      filters: { action: "create", resource_name: "collection", collection_id: cid },
    }, "history");
    const entries$ = listObjects(collection.scope, historyPath, HistoryEntry, {
      ...transport,
      pages: Infinity,
      sort: "last_modified",
      filters: { resource_name: "record", collection_id: cid, "max_target.data.last_modified": at },
    }, "history").pipe(records(), toArray());

    return creation$.pipe(
      switchMap((page) => {
        if (page.data.length === 0) {
          throw new IncompleteHistoryError(
            `Cannot list ${paths.record(bid, cid)} at ${at}: the history has no creation of the collection ` +
              "(the history plugin was enabled after it was created).",
          );
        }
        return entries$;
      }),
      map((entries) => toSnapshotPage<T>(replay(entries, at), at, (value, id) =>
        decodeWith(collection.recordCodec, value, `record ${JSON.stringify(id)} of ${context}`) as T,
      )),
    );
  });
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
    if (!seen || recordTime(entry) > recordTime(seen) || (recordTime(entry) === recordTime(seen) && entry.last_modified > seen.last_modified)) {
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

function toSnapshotPage<T>(state: Map<string, Record<string, unknown>>, at: number, decodeRecord: (value: unknown, id: string) => T): Page<T> {
  const data = [...state.entries()]
    .map(([id, record]) => decodeRecord(record, id))
    .sort((a, b) => lastModified(b) - lastModified(a));
  return {
    data,
    last_modified: String(at),
    totalRecords: data.length,
    hasNextPage: false,
    next: () =>
      defer(() => {
        throw new InvalidArgumentError("A snapshot is one page: there is no next page.");
      }),
  };
}

function lastModified(record: unknown): number {
  const value = (record as { last_modified?: unknown }).last_modified;
  return typeof value === "number" ? value : 0;
}
