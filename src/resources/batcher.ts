/**
 * What the function given to `batch()` receives: the operations a `/batch` request can hold (writes
 * and single reads), queued instead of sent. Anything else (listings, feeds, uploads, server info)
 * is not on these interfaces, so it does not compile; called anyway from JavaScript, it is an
 * {@link InvalidArgumentError} and nothing of the batch is sent.
 */
import type { Observable } from "rxjs";
import { InvalidArgumentError } from "../http/errors";
import type { Permissions } from "../protocol/codecs";
import type { DeleteOptions, ReadOptions, WriteOptions } from "../protocol/operations";
import type { ResourceOptions } from "../protocol/options";
import type { Bucket, CreateOptions } from "./bucket";
import type { Collection } from "./collection";
import type { CreateBucketOptions } from "./client";
import type { PermissionsOptions } from "./resource";

/** The data and permissions operations of a bucket or collection, queued in a batch. */
export interface ResourceBatcher {
  /** Queues a read of the object's data. */
  getData(options?: ReadOptions): void;
  /** Queues a replacement (or with `patch`, a merge) of the object's data. */
  setData(data: Record<string, unknown>, options?: WriteOptions): void;
  /** Queues a read of the object's permissions. */
  getPermissions(options?: ResourceOptions): void;
  /** Queues a replacement of the object's permissions. */
  setPermissions(permissions: Partial<Permissions>, options?: PermissionsOptions): void;
  /** Queues an addition of principals to the object's permissions. */
  addPermissions(permissions: Partial<Permissions>, options?: PermissionsOptions): void;
  /** Queues a removal of principals from the object's permissions. */
  removePermissions(permissions: Partial<Permissions>, options?: PermissionsOptions): void;
}

/** A collection's operations that a batch can hold. */
export interface CollectionBatcher extends ResourceBatcher {
  /** Queues a record creation (PUT with an id, else POST). */
  createRecord(record: Record<string, unknown>, options?: WriteOptions): void;
  /** Queues a read of one record. */
  getRecord(id: string, options?: ReadOptions): void;
  /** Queues a replacement (or with `patch`, a merge) of a record. */
  updateRecord(record: { id: string; [key: string]: unknown }, options?: WriteOptions): void;
  /** Queues a record deletion. */
  deleteRecord(record: string | { id: string; last_modified?: number }, options?: DeleteOptions): void;
}

/** A bucket's operations that a batch can hold, and its collections'. */
export interface BucketBatcher extends ResourceBatcher {
  /** The operations of one of this bucket's collections, in the same batch. */
  collection(name: string, options?: ResourceOptions): CollectionBatcher;
  /** Queues a collection creation. */
  createCollection(id?: string | null, options?: CreateOptions): void;
  /** Queues a collection deletion. */
  deleteCollection(collection: string | { id: string }, options?: DeleteOptions): void;
  /** Queues a group creation. */
  createGroup(id?: string | null, members?: readonly string[], options?: CreateOptions): void;
  /** Queues a read of one group. */
  getGroup(id: string, options?: ReadOptions): void;
  /** Queues a group replacement (or with `patch`, a merge). */
  updateGroup(group: { id: string; members?: readonly string[]; [key: string]: unknown }, options?: WriteOptions): void;
  /** Queues a group deletion. */
  deleteGroup(group: string | { id: string }, options?: DeleteOptions): void;
}

/** The client's operations that a batch can hold, and its buckets'. */
export interface ClientBatcher {
  /** The operations of one bucket, in the same batch. */
  bucket(name: string, options?: ResourceOptions): BucketBatcher;
  /** Queues a bucket creation. */
  createBucket(id?: string | null, options?: CreateBucketOptions): void;
  /** Queues a bucket deletion. */
  deleteBucket(bucket: string | { id: string }, options?: DeleteOptions): void;
}

/** Subscribes an operation's Observable at once: its request is recorded, not sent. */
export type Queue = (operation: Observable<unknown>) => void;

/** The names a batcher has, for the message of a call that is not one of them. */
const RESOURCE = ["getData", "setData", "getPermissions", "setPermissions", "addPermissions", "removePermissions"] as const;
const COLLECTION = [...RESOURCE, "createRecord", "getRecord", "updateRecord", "deleteRecord"] as const;
const BUCKET = [
  ...RESOURCE,
  "collection",
  "createCollection",
  "deleteCollection",
  "createGroup",
  "getGroup",
  "updateGroup",
  "deleteGroup",
] as const;
const CLIENT = ["bucket", "createBucket", "deleteBucket"] as const;

/**
 * `target`'s listed methods, each queueing what it returns; any other property read of a method
 * name (a JavaScript caller of `b.watchRecords()`) gives a function that throws an
 * {@link InvalidArgumentError} naming what a batch can hold.
 */
function facade<T extends object>(what: string, names: readonly string[], call: (name: string, args: unknown[]) => unknown): T {
  const methods: Record<string, (...args: unknown[]) => unknown> = {};
  for (const name of names) methods[name] = (...args: unknown[]) => call(name, args);
  return new Proxy(methods, {
    get(target, property) {
      if (typeof property !== "string" || property in target || property === "then" || property === "toJSON")
        return Reflect.get(target, property) as unknown;
      return () => {
        throw new InvalidArgumentError(
          `${what}.${property}() cannot be part of a batch: a batch holds writes and single reads (${names.join(", ")}).`,
        );
      };
    },
  }) as unknown as T;
}

/** Each call of `resource`'s method `name` queued. */
function queued(resource: object, queue: Queue): (name: string, args: unknown[]) => void {
  return (name, args) => {
    const method = (resource as Record<string, (...a: unknown[]) => Observable<unknown>>)[name];
    queue(method.apply(resource, args));
  };
}

/** The batcher of `collection` (built on a recording scope). */
export function collectionBatcher(collection: Collection<never>, queue: Queue): CollectionBatcher {
  return facade<CollectionBatcher>("collection", COLLECTION, queued(collection, queue));
}

/** The batcher of `bucket` (built on a recording scope). */
export function bucketBatcher(bucket: Bucket, queue: Queue): BucketBatcher {
  const queue$ = queued(bucket, queue);
  return facade<BucketBatcher>("bucket", BUCKET, (name, args) => {
    if (name !== "collection") return queue$(name, args);
    const [id, options] = args as [string, ResourceOptions | undefined];
    return collectionBatcher(bucket.collection(id, options) as Collection<never>, queue);
  });
}

/** What a client batcher queues from: the client's bucket-level operations on a recording scope. */
export interface ClientOperations {
  /** A bucket on the recording scope. */
  bucket(name: string, options?: ResourceOptions): Bucket;
  /** Creates a bucket. */
  createBucket(id?: string | null, options?: CreateBucketOptions): Observable<unknown>;
  /** Deletes a bucket. */
  deleteBucket(bucket: string | { id: string }, options?: DeleteOptions): Observable<unknown>;
}

/** The batcher of a client: its bucket-level writes, and its buckets'. */
export function clientBatcher(client: ClientOperations, queue: Queue): ClientBatcher {
  const queue$ = queued(client, queue);
  return facade<ClientBatcher>("client", CLIENT, (name, args) => {
    if (name !== "bucket") return queue$(name, args);
    const [id, options] = args as [string, ResourceOptions | undefined];
    return bucketBatcher(client.bucket(id, options), queue);
  });
}
