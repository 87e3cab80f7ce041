/**
 * The single-request operations every Kinto resource shares (read, write, delete, timestamps,
 * permissions), written once; the client, buckets, collections and streams call them with their
 * scope, paths and codecs. Listings (a stream of pages) are in src/streams/pages.ts.
 */
import * as t from "io-ts";
import { map, type Observable } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError, KintoHttpError, PayloadValidationError } from "../http/errors";
import type { KintoRequest, QueryValue } from "../http/request";
import { envelope, KintoObject, Permissions, Tombstone, type Envelope } from "./codecs";
import { etagTimestamp, listQuery, totalFrom, type ListOptions } from "./listing";
import { safeHeaders, type ResourceOptions, resolve } from "./options";
import { sameRecord } from "./records";
import { execute, type ExecuteFlags, type Scope } from "./scope";

/** Options of singular reads: fields selection and extra query parameters. */
export interface ReadOptions extends ResourceOptions {
  /** Only these fields (`_fields`). */
  readonly fields?: readonly string[];
  /** Extra query parameters (cache busting, features this client lacks). */
  readonly query?: Readonly<Record<string, QueryValue>>;
}

/** Options of writes. */
export interface WriteOptions extends ResourceOptions {
  /** The timestamp the caller knows, for `safe` (`If-Match`). */
  readonly last_modified?: number;
  /** Permissions to set along with the data. */
  readonly permissions?: Partial<Permissions>;
  /** PATCH (merge) instead of PUT (replace). */
  readonly patch?: boolean;
}

/** Options of deletions. */
export interface DeleteOptions extends ResourceOptions {
  /** The timestamp the caller knows, for `safe` (`If-Match`). */
  readonly last_modified?: number;
}

/** Executes `request` and decodes its JSON body with `codec`. */
export function fetchJson<A>(
  scope: Scope,
  request: KintoRequest,
  options: ResourceOptions | undefined,
  codec: t.Type<A, unknown, unknown>,
  context: string,
  flags?: ExecuteFlags,
): Observable<A> {
  const resolved = resolve(scope, options);
  // `resolved.headers` is a fresh object of this call: shared as is when the request adds none.
  const headers = request.headers === undefined ? resolved.headers : { ...resolved.headers, ...request.headers };
  // Field by field rather than a spread: this runs on every request.
  const withHeaders: KintoRequest = {
    method: request.method,
    path: request.path,
    query: request.query,
    headers,
    body: request.body,
    idempotent: request.idempotent,
  };
  return execute(scope, withHeaders, resolved, flags).pipe(map((response) => decodeWith(codec, response.json, context)));
}

/** GET of one object; emits the envelope `{data, permissions}`. */
export function getObject<A>(
  scope: Scope,
  path: string,
  codec: t.Type<A, unknown, unknown>,
  options: ReadOptions = {},
): Observable<Envelope<A>> {
  // No query object at all for a plain read (the transport then has nothing to serialize).
  let query: Record<string, QueryValue> | undefined;
  if (options.query || options.fields) {
    query = { ...options.query };
    if (options.fields) query._fields = options.fields;
  }
  return fetchJson(scope, { method: "GET", path, query }, options, envelope(codec) as t.Type<Envelope<A>, unknown, unknown>, path);
}

/**
 * Creates an object: PUT to `path/id` when the data carries an id (`safe`: `If-None-Match: *`),
 * else POST to `path` (server-generated id). Emits `{data, permissions}`.
 */
export function createObject<A>(
  scope: Scope,
  listPath: string,
  itemPath: (id: string) => string,
  data: Record<string, unknown>,
  codec: t.Type<A, unknown, unknown>,
  options: WriteOptions = {},
): Observable<Envelope<A>> {
  const { safe } = resolve(scope, options);
  const id = data.id;
  const body = { data, permissions: options.permissions };
  const request: KintoRequest =
    id === undefined || id === null
      ? { method: "POST", path: listPath, body, headers: safeHeaders(safe) }
      : { method: "PUT", path: itemPath(id as string), body, headers: safeHeaders(safe) };
  const flags = request.method === "PUT" ? { settleRetried: sameRecordExists(data) } : undefined;
  return fetchJson(scope, request, options, envelope(codec) as t.Type<Envelope<A>, unknown, unknown>, request.path, flags);
}

/**
 * Replaces (PUT) or patches (PATCH) one object. With `safe`: `If-Match` on the known
 * `last_modified` (option first, then the data's), else `If-None-Match: *`.
 * Data made only of `id`/`last_modified` is not sent: Kinto then keeps the data and replaces only the
 * permissions (a permissions-only PUT).
 */
export function updateObject<A>(
  scope: Scope,
  path: string,
  data: Record<string, unknown> | undefined,
  codec: t.Type<A, unknown, unknown>,
  options: WriteOptions = {},
): Observable<Envelope<A>> {
  const { safe } = resolve(scope, options);
  const lastModified = options.last_modified ?? (data?.last_modified as number | undefined);
  const hasData = data !== undefined && Object.keys(data).some((k) => k !== "id" && k !== "last_modified");
  const body: Record<string, unknown> = {};
  if (hasData) body.data = data;
  if (options.permissions) body.permissions = options.permissions;
  const request: KintoRequest = {
    method: options.patch ? "PATCH" : "PUT",
    path,
    body,
    headers: safeHeaders(safe, lastModified),
  };
  const flags = !options.patch && hasData ? { settleRetried: sameRecordExists(data) } : undefined;
  return fetchJson(scope, request, options, envelope(codec) as t.Type<Envelope<A>, unknown, unknown>, path, flags);
}

/**
 * DELETE of one object; emits `{data: tombstone}`.
 *
 * A retried DELETE that finds 404 after an attempt whose answer was lost (connection dropped,
 * timeout, unreadable or 5xx answer) counts as done: that attempt deleted the object. The 404 does
 * not say when, so the tombstone's `last_modified` is `0` ("unknown").
 */
export function deleteObject(scope: Scope, path: string, options: DeleteOptions = {}): Observable<Envelope<Tombstone>> {
  const { safe } = resolve(scope, options);
  // As kinto-http.js: `If-None-Match: *` on a DELETE would always fail on an existing object.
  if (safe && options.last_modified === undefined) throw new InvalidArgumentError("Safe concurrency check requires a last_modified value.");
  const request: KintoRequest = { method: "DELETE", path, headers: safeHeaders(safe, options.last_modified) };
  const id = decodeURIComponent(path.slice(path.lastIndexOf("/") + 1));
  const settleRetried = (error: unknown) =>
    error instanceof KintoHttpError && error.status === 404
      ? { status: 200, headers: new Headers(), json: { data: { id, last_modified: 0, deleted: true } } }
      : undefined;
  return fetchJson(scope, request, options, envelope(Tombstone) as t.Type<Envelope<Tombstone>, unknown, unknown>, path, { settleRetried });
}

/**
 * For a retried PUT: a 412 whose existing object equals `data` (`last_modified` aside) means an
 * earlier attempt whose answer was lost wrote it; that object is the result.
 */
function sameRecordExists(data: Record<string, unknown>): NonNullable<ExecuteFlags["settleRetried"]> {
  return (error) => {
    const existing = error instanceof KintoHttpError && error.status === 412 ? error.existing : undefined;
    if (!KintoObject.is(existing) || !sameRecord(existing, data)) return undefined;
    return { status: 200, headers: new Headers(), json: { data: existing } };
  };
}

/**
 * The list's ETag as kinto-http.js gives it (`"1548699177099"`, quotes included), from a HEAD
 * request; a weak one from a compressing proxy (`W/"1548699177099"`) comes back strong, so that it
 * still works as `since`.
 */
export function getListETag(scope: Scope, path: string, options: ResourceOptions = {}): Observable<string | null> {
  const resolved = resolve(scope, options);
  return execute(scope, { method: "HEAD", path, headers: resolved.headers }, resolved).pipe(
    map((response) => {
      const etag = response.headers.get("ETag");
      const timestamp = etagTimestamp(etag);
      return timestamp === null ? etag : `"${timestamp}"`;
    }),
  );
}

/** The list's timestamp (its ETag, strong or weak, quotes stripped; `null` when none), from a HEAD request: what internal callers compare and send. */
export function getListTimestamp(scope: Scope, path: string, options: ResourceOptions = {}): Observable<string | null> {
  return getListETag(scope, path, options).pipe(map((etag) => etagTimestamp(etag)));
}

/** The number of objects in a list, from a HEAD request's `Total-Records`. */
export function getListTotal(scope: Scope, path: string, options: ListOptions = {}): Observable<number> {
  const resolved = resolve(scope, options);
  const query = listQuery(options);
  delete query._sort;
  return execute(scope, { method: "HEAD", path, query, headers: resolved.headers }, resolved).pipe(
    map((response) => {
      const value = response.headers.get("Total-Records") ?? response.headers.get("Total-Objects");
      if (value === null) throw new InvalidArgumentError(`No Total-Records header on HEAD ${path}`);
      const total = totalFrom(response.headers);
      if (total === null) {
        const actual = value.length > 40 ? `${JSON.stringify(value.slice(0, 37))}...` : JSON.stringify(value);
        throw new PayloadValidationError(`Total-Records header of HEAD ${path}`, [
          { path: "Total-Records", expected: "a safe integer", actual },
        ]);
      }
      return total;
    }),
  );
}

/** The permissions of one object. */
export function getObjectPermissions(scope: Scope, path: string, options: ResourceOptions = {}): Observable<Permissions> {
  return getObject(scope, path, KintoObject, options).pipe(map((e) => e.permissions ?? {}));
}

/**
 * Adds or removes principals with a JSON-Patch on `/permissions` (other principals stay).
 * @param op `add` or `remove`
 */
export function patchPermissions(
  scope: Scope,
  path: string,
  permissions: Partial<Permissions>,
  op: "add" | "remove",
  options: DeleteOptions = {},
): Observable<Envelope<KintoObject>> {
  const { safe } = resolve(scope, options);
  const operations = Object.entries(permissions).flatMap(([type, principals]) =>
    // The server needs a `value` to add to types other than read/write (record:create...).
    (principals ?? []).map((principal) =>
      op === "add"
        ? { op, path: `/permissions/${type}/${principal}`, value: principal }
        : { op, path: `/permissions/${type}/${principal}` },
    ),
  );
  const request: KintoRequest = {
    method: "PATCH",
    path,
    body: operations,
    headers: { "Content-Type": "application/json-patch+json", ...safeHeaders(safe, options.last_modified) },
  };
  return fetchJson(scope, request, options, envelope(KintoObject) as t.Type<Envelope<KintoObject>, unknown, unknown>, path);
}

/** Checks that `value` is a plain object, before any request. */
export function requireObject(value: unknown, what: string): asserts value is Record<string, unknown> {
  if (!value || typeof value !== "object" || Array.isArray(value)) {
    throw new InvalidArgumentError(`A ${what} object is required.`);
  }
}
