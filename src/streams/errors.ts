/**
 * The errors of uploads and of snapshots (`listRecords({at})`), kept out of those (lazily loaded)
 * modules so that an app can test `instanceof` without loading them.
 */
import { InvalidArgumentError, KintoError, type KintoHttpError } from "../http/errors";
import type { UploadProgress } from "./upload";

/**
 * Why an upload stopped (see {@link UploadStoppedError}):
 * - `parent-missing`: a 404 whose `details.resource_name` is the bucket or the collection;
 * - `unauthorized`: a 401 (no or bad credentials);
 * - `forbidden`: a 403 on every record of a chunk (no write permission on the collection);
 * - `refused`: a 405 or 415 (the server refuses the shape of the request itself).
 */
export type UploadStopReason = "parent-missing" | "unauthorized" | "forbidden" | "refused";

/**
 * An upload stopped at the first failure that every later chunk would repeat: the parent bucket
 * or collection missing, 401, 403 on a whole chunk, 405/415. The chunk's `chunk` event (its
 * per-record results) is emitted first; nothing more is pulled or sent. `progress` says what the
 * server confirmed before.
 */
export class UploadStoppedError extends KintoError {
  /** The class of failure. */
  readonly reason: UploadStopReason;
  /** The first record's error of that kind (its `details` name the missing resource). */
  readonly cause: KintoHttpError;
  /** The missing resource (`bucket`, `collection`) of a `parent-missing`, from the server's `details`. */
  readonly resource?: string;
  /** The chunk where it stopped. */
  readonly chunk: number;
  /** The upload's counters when it stopped (`confirmed`: written before). */
  readonly progress: UploadProgress;
  /** @param reason why @param cause the record's error @param chunk where @param progress counters */
  constructor(reason: UploadStopReason, cause: KintoHttpError, chunk: number, progress: UploadProgress) {
    const resource = reason === "parent-missing" ? resourceName(cause) : undefined;
    const why = {
      "parent-missing": `the ${resource ?? "parent"} does not exist`,
      unauthorized: "the server refuses the credentials",
      forbidden: "no permission to write these records",
      refused: "the server refuses the request",
    }[reason];
    super(`Upload stopped at chunk ${chunk}: ${why} (${cause.message}); ${progress.confirmed} records confirmed before`);
    this.reason = reason;
    this.cause = cause;
    this.resource = resource;
    this.chunk = chunk;
    this.progress = progress;
  }
}

/** @internal The `details.resource_name` of a 404, if any. */
export function resourceName(error: KintoHttpError): string | undefined {
  const details = error.details as { resource_name?: unknown } | null | undefined;
  return details && typeof details === "object" && typeof details.resource_name === "string" ? details.resource_name : undefined;
}

/** Thrown by `listRecords({at})` when the history does not go back to the collection's creation. */
export class IncompleteHistoryError extends InvalidArgumentError {}
