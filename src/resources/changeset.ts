/**
 * The `/changeset` endpoint of Remote Settings servers (`changes` capability): a collection's
 * metadata, its changes and their timestamp in one request, cache-busted with `_expected`.
 */
import * as t from "io-ts";
import { map, type Observable } from "rxjs";
import { decodeWith } from "../http/decode";
import { withCapability } from "../protocol/capabilities";
import { KintoObject, Tombstone } from "../protocol/codecs";
import type { CollectionLike } from "./collection-like";
import { fetchJson } from "../protocol/operations";
import type { ResourceOptions } from "../protocol/options";
import { unquote } from "../protocol/listing";

/** Options of `getChangeset`. */
export interface ChangesetOptions extends Pick<ResourceOptions, "headers" | "retry" | "timeout"> {
  /**
   * The timestamp the caller expects (`_expected`, cache busting: a CDN keeps one answer per
   * value). Default `0`: whatever the cache holds.
   */
  readonly expected?: number | string;
  /** Only the changes after this timestamp (`_since`), tombstones included. */
  readonly since?: number | string;
}

/** What `/changeset` answers: the collection's metadata, its changes and their timestamp. */
export interface Changeset<T> {
  /** The collection's own data. */
  readonly metadata: KintoObject;
  /** Its records (changed since `since`, with tombstones), newest first as the server sends them. */
  readonly changes: (T | Tombstone)[];
  /** The records' timestamp. */
  readonly timestamp: number;
}

const ChangesetBody = t.intersection(
  [t.type({ metadata: KintoObject, changes: t.array(t.UnknownRecord), timestamp: t.number }), t.UnknownRecord],
  "Changeset",
);

/**
 * `GET /buckets/{bid}/collections/{cid}/changeset?_expected=…`, on a server announcing `changes`;
 * elsewhere a `MissingCapabilityError` and nothing sent. Records are decoded with the collection's codec.
 */
export function getChangeset<T>(collection: CollectionLike<T>, options: ChangesetOptions = {}): Observable<Changeset<T>> {
  const { expected, since, ...transport } = options;
  const path = `${collection.recordPath().replace(/\/records$/, "")}/changeset`;
  const query = { _expected: unquote(String(expected ?? 0)), _since: since === undefined ? undefined : `"${unquote(String(since))}"` };
  return withCapability(collection.scope.executor, "changes", "getChangeset", () =>
    fetchJson(collection.scope, { method: "GET", path, query }, transport, ChangesetBody, path).pipe(
      map((body) => ({
        metadata: body.metadata,
        timestamp: body.timestamp,
        changes: body.changes.map((change) =>
          change.deleted === true
            ? decodeWith(Tombstone, change, `tombstone ${JSON.stringify(change.id)} of ${path}`)
            : decodeWith(collection.recordCodec, change, `record ${JSON.stringify(change.id)} of ${path}`),
        ),
      })),
    ),
  );
}
