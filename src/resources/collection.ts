/**
 * A collection: its data and permissions, and its records (typed by an optional io-ts codec).
 */
import * as t from "io-ts";
import { defer, type Observable } from "rxjs";
import { InvalidArgumentError } from "../http/errors";
import type { BatchOptions, BatchRecording, BatchResult } from "../streams/batch";
import type { CollectionBatcher } from "./batcher";
import type { WatchOptions, Change } from "../streams/feed";
import type { UploadOptions, UploadEvent, UploadSource } from "../streams/upload";
import { type Page, deleteList, listObjects } from "../streams/pages";
import type { Changeset, ChangesetOptions } from "./changeset";
import type { Bucket } from "./bucket";
import { KintoObject, KintoObjectMeta, type Envelope, type Tombstone } from "../protocol/codecs";
import {
  createObject,
  deleteObject,
  getListETag,
  getListTotal,
  getObject,
  requireObject,
  updateObject,
  type DeleteOptions,
  type ReadOptions,
  type WriteOptions,
} from "../protocol/operations";
import type { CollectionOptions, ResourceOptions } from "../protocol/options";
import { paths, segment, idOf } from "../protocol/paths";
import { Resource } from "./resource";
import type { AttachmentOptions } from "./attachments";
import type { AttachmentRecord, DownloadOptions } from "./attachment-download";
import { capabilities } from "./lazy";
import { unquote, type ListOptions } from "../protocol/listing";
import { childScope, type Scope } from "../protocol/scope";

/** The record type of a collection: the codec's type with `id` and `last_modified`, or {@link KintoObject}. */
export type RecordOf<C extends t.Mixed | undefined> = C extends t.Mixed ? t.TypeOf<C> & KintoObjectMeta : KintoObject;

/** Options of `listRecords`: the generic list options plus `at` (a snapshot from history). */
export interface ListRecordsOptions extends ListOptions {
  /**
   * List the records as they were at this timestamp (history plugin; the full list, one page): a
   * number, or the ETag of `getRecordsTimestamp()` as it is.
   */
  readonly at?: number | string;
  /**
   * The timestamp the caller expects (`_expected`): a cache-busting parameter that Kinto ignores
   * and CDNs key their cache on (Remote Settings), so that a known-newer list is not served stale.
   */
  readonly expected?: number | string;
}

/** A Kinto collection. Creating this object sends nothing. */
export class Collection<C extends t.Mixed | undefined = undefined> extends Resource {
  /** @internal */
  override readonly scope: Scope;
  /** The codec of one record (the user's codec with `id`/`last_modified`, or {@link KintoObject}). */
  readonly recordCodec: t.Type<RecordOf<C>, unknown, unknown>;

  /**
   * @param bucket the parent bucket
   * @param name the collection id
   * @param options collection options (headers, safe, retry, timeout, codec)
   */
  constructor(
    readonly bucket: Bucket,
    /** The collection id. */
    override readonly name: string,
    private readonly options: CollectionOptions<C> = {},
  ) {
    super();
    const { codec, ...rest } = options;
    this.scope = childScope(bucket.scope, rest);
    this.recordCodec = (codec ? t.intersection([KintoObjectMeta, codec]) : KintoObject) as unknown as t.Type<RecordOf<C>, unknown, unknown>;
  }

  protected override get path(): string {
    return paths.collection(this.bucket.name, this.name);
  }

  /** The records list's path, built (and its ids checked) on first use: names never change. */
  private listPath?: string;

  /** @internal path of the records list (no argument), or of one record (an id, checked even if `undefined`). */
  recordPath(...id: [] | [id: string | undefined]): string {
    // Built once: this runs on every record operation. Not in the constructor: a bad bucket or
    // collection name fails the operation, when subscribed, not the call that names it.
    const list = (this.listPath ??= paths.record(this.bucket.name, this.name));
    return id.length === 0 ? list : `${list}/${segment(id[0], "record")}`;
  }

  /**
   * Creates a record: PUT when it has an id (with `safe`, only if absent), else POST and the
   * server generates the id.
   */
  createRecord(record: Record<string, unknown>, options: WriteOptions = {}): Observable<Envelope<RecordOf<C>>> {
    return defer(() => {
      requireObject(record, "record");
      return createObject(this.scope, this.recordPath(), (id) => this.recordPath(id), record, this.recordCodec, options);
    });
  }

  /** One record, as `{data, permissions}`. */
  getRecord(id: string, options?: ReadOptions): Observable<Envelope<RecordOf<C>>> {
    return defer(() => getObject(this.scope, this.recordPath(id), this.recordCodec, options));
  }

  /** Replaces (or with `patch`, merges) a record; `record.id` is required. */
  updateRecord(record: { id: string; [key: string]: unknown }, options: WriteOptions = {}): Observable<Envelope<RecordOf<C>>> {
    return defer(() => {
      requireObject(record, "record");
      if (typeof record.id !== "string") throw new InvalidArgumentError("A record id is required to update a record.");
      return updateObject(this.scope, this.recordPath(record.id), record, this.recordCodec, options);
    });
  }

  /** Deletes a record (by id or record; a record's `last_modified` is used with `safe`). */
  deleteRecord(record: string | { id: string; last_modified?: number }, options: DeleteOptions = {}): Observable<Envelope<Tombstone>> {
    return defer(() => {
      const lastModified = options.last_modified ?? (typeof record === "object" ? record?.last_modified : undefined);
      return deleteObject(this.scope, this.recordPath(idOf(record)), { ...options, last_modified: lastModified });
    });
  }

  /**
   * Deletes the records matching `filters`: one `Page` of tombstones per chunk the server deleted
   * (at most `limit`, else its page size, per request), `pages` chunks (default 1, as kinto-http.js;
   * `Infinity`: every matching record). `page.hasNextPage` says whether matching records remain.
   */
  deleteRecords(options?: ListOptions): Observable<Page<Tombstone>> {
    return defer(() => deleteList(this.scope, this.recordPath(), options));
  }

  /**
   * Pages of records. With `at`, one page holding the list as it was at that timestamp: from the
   * server's snapshot endpoint (history plugin), else rebuilt from the history (see `snapshot`).
   */
  listRecords(options: ListRecordsOptions = {}): Observable<Page<RecordOf<C>>> {
    return defer(() => {
      const { at, expected, ...rest } = options;
      if (at !== undefined)
        return capabilities((m) =>
          m.snapshot<RecordOf<C>>(
            { scope: this.scope, bucket: this.bucket.name, collection: this.name, codec: this.recordCodec },
            at,
            rest,
          ),
        );
      const list = expected === undefined ? rest : { ...rest, filters: { ...rest.filters, _expected: unquote(String(expected)) } };
      return listObjects(this.scope, this.recordPath(), this.recordCodec, list);
    });
  }

  /** The number of records (HEAD request, `Total-Records`); filters apply. */
  getTotalRecords(options?: ListOptions): Observable<number> {
    return defer(() => getListTotal(this.scope, this.recordPath(), options));
  }

  /**
   * The timestamp of the records list: its ETag as the server sends it, quotes included
   * (`"1548699177099"`), as kinto-http.js resolves it. `since`, `at` and `watchRecords({since})`
   * accept it as is; `Number(JSON.parse(etag))` gives the number. `null` when the server sends none.
   */
  getRecordsTimestamp(options?: ResourceOptions): Observable<string | null> {
    return defer(() => getListETag(this.scope, this.recordPath(), options));
  }

  /**
   * The collection's metadata, changes and timestamp in one request: the `/changeset` endpoint of
   * Remote Settings servers (`changes` capability). Elsewhere a `MissingCapabilityError`, nothing sent.
   */
  getChangeset(options?: ChangesetOptions): Observable<Changeset<RecordOf<C>>> {
    return capabilities((m) => m.getChangeset(this, options));
  }

  /**
   * A live feed of changes (created, updated and deleted records), polled with `_since`.
   * See `watch` (streams/feed).
   */
  watchRecords(options: WatchOptions = {}): Observable<Change<RecordOf<C>>> {
    return capabilities((m) => m.watch({ scope: this.scope, path: this.recordPath(), codec: this.recordCodec }, options));
  }

  /**
   * Uploads records from an Observable, an Iterable or an AsyncIterable through `/batch`, with at
   * most `concurrency` batches in flight. See `upload` (streams/upload).
   */
  uploadRecords(source: UploadSource, options: UploadOptions = {}): Observable<UploadEvent> {
    return capabilities((m) => m.upload({ scope: this.scope, path: this.recordPath() }, source, options));
  }

  /**
   * Sends the operations queued by `fn` in `/batch` requests, with this collection as default.
   */
  batch<R = BatchResult>(fn: (batch: CollectionBatcher) => void, options: BatchOptions = {}): Observable<R> {
    return capabilities((m) => {
      const open = ({ on, queue }: BatchRecording) =>
        m.collectionBatcher(new Collection(this.bucket.rebuiltOn(on), this.name, this.options) as Collection<never>, queue);
      return m.batch<CollectionBatcher, R>(this.scope, open, fn, options);
    });
  }

  /**
   * Attaches a file (a data URL) to a record (kinto-attachment); creates the record when `record`
   * has no id.
   */
  addAttachment(dataURL: string, record: Record<string, unknown> = {}, options: AttachmentOptions = {}): Observable<Envelope<RecordOf<C>>> {
    return capabilities((m) => m.addAttachment<RecordOf<C>>(this, dataURL, record, options));
  }

  /**
   * The attachment of a record (its id, or the record with its `attachment` metadata), downloaded
   * from its `location` without the client's headers, and emitted once as bytes only after its size
   * and sha256 matched the metadata (else `AttachmentIntegrityError`).
   */
  downloadAttachment(record: AttachmentRecord, options?: DownloadOptions): Observable<Uint8Array> {
    return capabilities((m) => m.downloadAttachment(this, record, options));
  }

  /**
   * The attachment of a record as chunks, as they arrive: checked like `downloadAttachment`, but a
   * mismatch errors the Observable at the end instead of completing it (write to a temporary file).
   */
  streamAttachment(record: AttachmentRecord, options?: DownloadOptions): Observable<Uint8Array> {
    return capabilities((m) => m.streamAttachment(this, record, options));
  }

  /** Removes the attachment of a record. */
  removeAttachment(recordId: string, options?: ResourceOptions): Observable<void> {
    return capabilities((m) => m.removeAttachment(this, recordId, options));
  }
}
