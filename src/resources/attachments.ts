/**
 * Attachments of records (kinto-attachment plugin): a file given as a data URL is posted as
 * `multipart/form-data`, then the record is read back so that the caller gets `{data, permissions}`.
 */
import { catchError, defer, map, of, switchMap, throwError, type Observable } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError, KintoHttpError } from "../http/errors";
import type { KintoRequest } from "../http/request";
import type { CollectionLike } from "./collection-like";
import type { Envelope, Permissions } from "../protocol/codecs";
import { type ReadOptions } from "../protocol/operations";
import { safeHeaders, type ResourceOptions, resolve } from "../protocol/options";
import { paths } from "../protocol/paths";
import { execute } from "../protocol/scope";
import { randomId } from "../protocol/records";
import { AttachmentMetadata, parseDataURL } from "./attachment-file";

export { AttachmentMetadata, parseDataURL, type DataUrlFile } from "./attachment-file";

/** Options of `addAttachment`. */
export interface AttachmentOptions extends ResourceOptions {
  /** The file name, when the data URL has no `name=` parameter or to rename the file. */
  readonly filename?: string;
  /** The timestamp the caller knows, for `safe` (`If-Match`). */
  readonly last_modified?: number;
  /** Permissions to set on the record. */
  readonly permissions?: Partial<Permissions>;
}

/**
 * Attaches the file of `dataURL` to `record` (created when absent; an id is generated when the
 * record has none), then emits the record as the server now has it, `{data, permissions}`.
 * @param collection the record's collection
 * @param dataURL the file, as a data URL
 * @param record the record's fields (its `id`, if any, names the record)
 * @param options filename, permissions, safe/last_modified, headers, retry, timeout
 */
export function addAttachment<T>(
  collection: CollectionLike<T>,
  dataURL: string,
  record: Record<string, unknown>,
  options: AttachmentOptions = {},
): Observable<Envelope<T>> {
  return defer(() => {
    if (!record || typeof record !== "object" || Array.isArray(record)) throw new InvalidArgumentError("A record object is required.");
    const file = parseDataURL(dataURL);
    const filename = options.filename ?? file.name;
    if (!filename) throw new InvalidArgumentError("The attachment needs a file name: a `name=` in the data URL or the `filename` option.");
    const id = record.id == null ? randomId() : String(record.id);
    const path = paths.attachment(collection.bucket.name, collection.name, id);
    const { id: _id, last_modified: _lm, ...fields } = record;

    const form = new FormData();
    form.append("attachment", new Blob([file.bytes as BlobPart], { type: file.type }), filename);
    form.append("data", JSON.stringify(fields));
    if (options.permissions) form.append("permissions", JSON.stringify(options.permissions));

    const lastModified = options.last_modified ?? (record.last_modified as number | undefined);
    const resolved = resolve(collection.scope, options);
    const request: KintoRequest = {
      method: "POST",
      path,
      body: form,
      headers: { ...resolved.headers, ...safeHeaders(resolved.safe, lastModified) },
      // The record id is the client's: sending it again replaces the same attachment.
      idempotent: true,
    };
    const { headers, retry, timeout } = options;
    const read: ReadOptions = { headers, retry, timeout };
    const upload$ = execute(collection.scope, request, resolved, { capability: "attachments" }).pipe(
      map((response) => decodeWith(AttachmentMetadata, response.json, `attachment of ${path}`)),
      switchMap(() => collection.getRecord(id, read)),
    ) as Observable<Envelope<T>>;
    if (!resolved.safe) return upload$;
    // kinto-attachment ignores If-Match / If-None-Match: check them first with a GET of the record
    // (412 when it changed, or exists for a create); the upload follows only if the check passes.
    const check: KintoRequest = { method: "GET", path: collection.recordPath(id), headers: request.headers };
    return execute(collection.scope, check, resolved).pipe(
      catchError((error: unknown) =>
        error instanceof KintoHttpError && error.status === 404 && lastModified === undefined ? of(null) : throwError(() => error),
      ),
      switchMap(() => upload$),
    );
  });
}

/**
 * Removes the attachment of a record (its `attachment` field becomes `null`); emits once (void)
 * when done.
 * @param collection the record's collection
 * @param recordId the record id
 * @param options headers, safe/last_modified, retry, timeout
 */
export function removeAttachment<T>(
  collection: CollectionLike<T>,
  recordId: string,
  options: ResourceOptions & { readonly last_modified?: number } = {},
): Observable<void> {
  return defer(() => {
    const path = paths.attachment(collection.bucket.name, collection.name, recordId);
    const resolved = resolve(collection.scope, options);
    const request: KintoRequest = {
      method: "DELETE",
      path,
      // Only `If-Match` makes sense for a removal (kinto-attachment ignores it today).
      headers: { ...resolved.headers, ...(options.last_modified !== undefined ? safeHeaders(resolved.safe, options.last_modified) : {}) },
    };
    return execute(collection.scope, request, resolved, { capability: "attachments" }).pipe(map(() => undefined));
  });
}
