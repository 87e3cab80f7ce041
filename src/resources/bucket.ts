/**
 * A bucket: its data and permissions, its collections, groups and history.
 */
import type * as t from "io-ts";
import { defer, type Observable } from "rxjs";
import type { BatchOptions, BatchResult } from "../streams/batch";
import type { BucketBatcher } from "./batcher";
import { capabilities } from "./lazy";
import { Group, HistoryEntry, KintoObject, type Envelope, type Tombstone } from "../protocol/codecs";
import { Collection } from "./collection";
import {
  createObject,
  deleteObject,
  getListETag,
  getObject,
  requireObject,
  updateObject,
  type DeleteOptions,
  type ReadOptions,
  type WriteOptions,
} from "../protocol/operations";
import type { CollectionOptions, ResourceOptions } from "../protocol/options";
import { Resource } from "./resource";
import { type ListOptions } from "../protocol/listing";
import { deleteList, listObjects, type Page } from "../streams/pages";
import { childScope, type Executor, type Scope } from "../protocol/scope";
import { idOf, paths } from "../protocol/paths";

/** Options of `createCollection` and `createGroup`. */
export interface CreateOptions extends WriteOptions {
  /** Data of the new object. */
  readonly data?: Record<string, unknown>;
}

export type { PermissionsOptions } from "./resource";

/** A Kinto bucket. Creating this object sends nothing. */
export class Bucket extends Resource {
  /** @internal */
  override readonly scope: Scope;

  /**
   * Made by `client.bucket(name, options)`. @internal
   * @param parent the client's scope
   * @param name the bucket id
   * @param options the bucket's own options (headers, safe, retry, timeout)
   */
  constructor(
    private readonly parent: Scope,
    /** The bucket id. */
    override readonly name: string,
    private readonly options: ResourceOptions = {},
  ) {
    super();
    this.scope = childScope(parent, options);
  }

  /** The client this bucket belongs to (its services: notices, server info...). */
  get client(): Executor {
    return this.scope.executor;
  }

  /** This bucket (same name and options) on `on(parent scope)`: a batch's recording scope. @internal */
  rebuiltOn(on: (parent: Scope) => Scope): Bucket {
    return new Bucket(on(this.parent), this.name, this.options);
  }

  protected override get path(): string {
    return paths.bucket(this.name);
  }

  /** A collection of this bucket (no request is sent); pass `codec` for typed records. */
  collection<C extends t.Mixed | undefined = undefined>(name: string, options: CollectionOptions<C> = {}): Collection<C> {
    return new Collection<C>(this, name, options);
  }

  /** Creates a collection; without an id the server generates one. */
  createCollection(id?: string | null, options: CreateOptions = {}): Observable<Envelope<KintoObject>> {
    return defer(() => {
      const data = { ...options.data, ...(id != null ? { id } : {}) };
      return createObject(this.scope, paths.collection(this.name), (cid) => paths.collection(this.name, cid), data, KintoObject, options);
    });
  }

  /** Pages of the bucket's collections. */
  listCollections(options?: ListOptions): Observable<Page<KintoObject>> {
    return defer(() => listObjects(this.scope, paths.collection(this.name), KintoObject, options));
  }

  /** The timestamp of the collections list: its ETag, quotes included, as kinto-http.js (see `getRecordsTimestamp`). */
  getCollectionsTimestamp(options?: ResourceOptions): Observable<string | null> {
    return defer(() => getListETag(this.scope, paths.collection(this.name), options));
  }

  /** Deletes a collection and its records. */
  deleteCollection(collection: string | { id: string }, options?: DeleteOptions): Observable<Envelope<Tombstone>> {
    return defer(() => deleteObject(this.scope, paths.collection(this.name, idOf(collection)), options));
  }

  /** Deletes the collections matching `filters`: a `Page` of tombstones per chunk, as `deleteRecords`. */
  deleteCollections(options?: ListOptions): Observable<Page<Tombstone>> {
    return defer(() => deleteList(this.scope, paths.collection(this.name), options));
  }

  /** Creates a group with `members`; without an id the server generates one. */
  createGroup(id?: string | null, members: readonly string[] = [], options: CreateOptions = {}): Observable<Envelope<Group>> {
    return defer(() => {
      const data = { ...options.data, members: [...members], ...(id != null ? { id } : {}) };
      return createObject(this.scope, paths.group(this.name), (gid) => paths.group(this.name, gid), data, Group, options);
    });
  }

  /** Pages of the bucket's groups. */
  listGroups(options?: ListOptions): Observable<Page<Group>> {
    return defer(() => listObjects(this.scope, paths.group(this.name), Group, options));
  }

  /** The timestamp of the groups list: its ETag, quotes included, as kinto-http.js (see `getRecordsTimestamp`). */
  getGroupsTimestamp(options?: ResourceOptions): Observable<string | null> {
    return defer(() => getListETag(this.scope, paths.group(this.name), options));
  }

  /** One group, as `{data, permissions}`. */
  getGroup(id: string, options?: ReadOptions): Observable<Envelope<Group>> {
    return defer(() => getObject(this.scope, paths.group(this.name, id), Group, options));
  }

  /** Replaces (or with `patch`, merges) a group; `group.id` is required. */
  updateGroup(
    group: { id: string; members?: readonly string[]; [key: string]: unknown },
    options: WriteOptions = {},
  ): Observable<Envelope<Group>> {
    return defer(() => {
      requireObject(group, "group");
      const data = options.patch ? { ...group } : { members: [], ...group };
      return updateObject(this.scope, paths.group(this.name, group.id), data, Group, options);
    });
  }

  /** Deletes a group. */
  deleteGroup(group: string | { id: string }, options?: DeleteOptions): Observable<Envelope<Tombstone>> {
    return defer(() => deleteObject(this.scope, paths.group(this.name, idOf(group)), options));
  }

  /** Pages of the bucket's history (history plugin), newest first by default. */
  listHistory(options?: ListOptions): Observable<Page<HistoryEntry>> {
    return defer(() => listObjects(this.scope, paths.history(this.name), HistoryEntry, options, "history"));
  }

  /**
   * Deletes entries of the bucket's history (history plugin): those matching `filters`
   * (`resource_name`, `collection_id`, `record_id`, `action`, `max_last_modified`...; without
   * filters, all of them). One `Page` of tombstones per chunk the server deleted; unlike
   * `deleteRecords`, `pages` defaults to `Infinity`: every matching entry is purged.
   */
  purgeHistory(options: ListOptions = {}): Observable<Page<Tombstone>> {
    return defer(() => deleteList(this.scope, paths.history(this.name), { ...options, pages: options.pages ?? Infinity }));
  }

  /**
   * Sends the operations queued by `fn` in `/batch` requests (chunked by the server's
   * `batch_max_requests`), with this bucket as the default bucket.
   */
  batch<R = BatchResult>(fn: (batch: BucketBatcher) => void, options: BatchOptions = {}): Observable<R> {
    return capabilities((m) =>
      m.batch<BucketBatcher, R>(this.scope, ({ on, queue }) => m.bucketBatcher(this.rebuiltOn(on), queue), fn, options),
    );
  }
}
