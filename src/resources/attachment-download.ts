/**
 * Downloads of attachments (kinto-attachment), checked against the record's `attachment`
 * metadata: the size while the bytes arrive (a longer file is cut off at once), the sha256 at the
 * end. A mismatch is an {@link AttachmentIntegrityError}; the bytes variant emits nothing then.
 */
import { defer, map, Observable, of, reduce, switchMap } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError } from "../http/errors";
import { downloadSummary } from "../http/download";
import { retryTransient } from "../http/retry";
import { AttachmentIntegrityError, AttachmentMetadata } from "./attachment-file";
import { capabilitiesOf } from "../protocol/capabilities";
import type { CollectionLike } from "./collection-like";
import type { ResourceOptions } from "../protocol/options";
import { Sha256 } from "./sha256";

export { AttachmentIntegrityError } from "./attachment-file";

/** Options of `downloadAttachment` and `streamAttachment`. */
export interface DownloadOptions extends Pick<ResourceOptions, "headers" | "retry" | "timeout"> {}

/** The record whose attachment to download: its id (read first), or the record itself. */
export type AttachmentRecord =
  | string
  | {
      /** The record id. */
      readonly id: string;
      /** Its kinto-attachment metadata (`location`, `size`, `hash`...). */
      readonly attachment?: unknown;
    };

/** Where to download from and what to expect. */
interface Target {
  readonly url: string;
  readonly attachment: AttachmentMetadata;
}

function target<T>(collection: CollectionLike<T>, record: AttachmentRecord, options: DownloadOptions): Observable<Target> {
  const { headers, retry, timeout } = options;
  const record$ =
    typeof record === "string"
      ? collection.getRecord(record, { headers, retry, timeout }).pipe(map((e) => e.data as { id: string; attachment?: unknown }))
      : of(record);
  return record$.pipe(
    switchMap((data) => {
      if (!data || typeof data !== "object" || typeof data.id !== "string")
        throw new InvalidArgumentError("downloadAttachment expects a record id or a record {id, attachment}.");
      if (data.attachment == null) throw new InvalidArgumentError(`The record ${JSON.stringify(data.id)} has no attachment.`);
      const attachment = decodeWith(AttachmentMetadata, data.attachment, `attachment of record ${JSON.stringify(data.id)}`);
      if (/^https?:\/\//i.test(attachment.location)) return of({ url: attachment.location, attachment });
      // Relative locations (Remote Settings servers) hang below the capability's base_url.
      return capabilitiesOf(collection.scope.executor).pipe(
        map((capabilities) => {
          const base = capabilities?.attachments?.base_url;
          if (typeof base !== "string" || !/^https?:\/\//i.test(base)) {
            throw new InvalidArgumentError(
              `The attachment location ${JSON.stringify(attachment.location)} is relative and the server announces no attachments base_url.`,
            );
          }
          return { url: new URL(attachment.location.replace(/^\/+/, ""), base.endsWith("/") ? base : `${base}/`).href, attachment };
        }),
      );
    }),
  );
}

/** The chunks of `url`, checked as they arrive against `attachment`; errors at the end on a hash mismatch. */
function checkedChunks<T>(
  collection: CollectionLike<T>,
  { url, attachment }: Target,
  timeout: number | null | undefined,
): Observable<Uint8Array> {
  const download = collection.scope.executor.download;
  if (!download) throw new InvalidArgumentError("This client cannot download files.");
  const location = downloadSummary(url).path;
  return new Observable<Uint8Array>((subscriber) => {
    const hash = new Sha256();
    let size = 0;
    return download(url, timeout).subscribe({
      next: (chunk) => {
        size += chunk.length;
        if (size > attachment.size) return subscriber.error(new AttachmentIntegrityError(location, attachment, size));
        hash.update(chunk);
        subscriber.next(chunk);
      },
      error: (error: unknown) => subscriber.error(error),
      complete: () => {
        if (size !== attachment.size) return subscriber.error(new AttachmentIntegrityError(location, attachment, size));
        const actual = hash.hex();
        if (actual !== attachment.hash.toLowerCase())
          return subscriber.error(new AttachmentIntegrityError(location, attachment, size, actual));
        subscriber.complete();
      },
    });
  });
}

/**
 * The attachment's bytes, emitted once, only after their size and sha256 matched the record's
 * metadata. With `retry`, a transient failure downloads the file again from the start.
 */
export function downloadAttachment<T>(
  collection: CollectionLike<T>,
  record: AttachmentRecord,
  options: DownloadOptions = {},
): Observable<Uint8Array> {
  return defer(() =>
    target(collection, record, options).pipe(
      switchMap((found) => {
        const whole = defer(() => {
          const bytes = new Uint8Array(found.attachment.size);
          // Emits once, when the download completed: after the checks passed.
          return checkedChunks(collection, found, options.timeout).pipe(
            reduce((offset, chunk) => (bytes.set(chunk, offset), offset + chunk.length), 0),
            map(() => bytes),
          );
        });
        const count = options.retry ?? 0;
        return count > 0 ? whole.pipe(retryTransient({ ...collection.scope.executor.retryPolicyFor(count), idempotent: true })) : whole;
      }),
    ),
  );
}

/**
 * The attachment's bytes as chunks, as they arrive (for files too big to hold): the size is checked
 * on each chunk, the sha256 when the last arrived, and a mismatch errors the Observable instead of
 * completing it. Write the chunks to a temporary file and keep it only on completion.
 */
export function streamAttachment<T>(
  collection: CollectionLike<T>,
  record: AttachmentRecord,
  options: DownloadOptions = {},
): Observable<Uint8Array> {
  return defer(() => target(collection, record, options).pipe(switchMap((found) => checkedChunks(collection, found, options.timeout))));
}
