/**
 * Uploads with backpressure: records from an Iterable, an AsyncIterable or an Observable are written
 * through `/batch`, `chunkSize` records per request, with at most `concurrency` requests in flight.
 *
 * ```
 * source (Iterable):  pulled one chunk at a time, only when a slot is free
 * /batch (conc. 2):   [chunk 0----]   [chunk 2--]
 *                     [chunk 1--] [chunk 3-----]
 * events:             sent0 sent1  chunk1 sent2 ...
 * ```
 *
 * Every write is idempotent: a record without an id gets a client-generated id before the first
 * attempt and is created with `PUT …/records/<id>` + `If-None-Match: *`. A chunk can therefore be
 * sent again whole (transport retry, or a transaction the server rolled back) without duplicating
 * records.
 */
import {
  catchError,
  concat,
  concatMap,
  defer,
  isObservable,
  map,
  merge,
  mergeMap,
  observeOn,
  queueScheduler,
  subscribeOn,
  bufferCount,
  finalize,
  of,
  range,
  Subject,
  switchMap,
  takeWhile,
  tap,
  throwError,
  type Observable,
} from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError, KintoHttpError } from "../http/errors";
import { retryTransient } from "../http/retry";
import { resourceName, UploadStoppedError, type UploadStopReason } from "./errors";
import { envelope, KintoObject, type BatchResponse } from "../protocol/codecs";
import { safeHeaders, type ResourceOptions, resolve } from "../protocol/options";
import { segment, versionPrefix } from "../protocol/paths";
import { type Scope } from "../protocol/scope";
import { sendChunk, type BatchRequest } from "./batch";
import { abortingItem, errorBody, outcomes, TransactionAbortedError } from "./outcomes";
import { randomId, sameRecord } from "../protocol/records";

export { UploadStoppedError, type UploadStopReason } from "./errors";

/** One record to upload: any JSON object; `id` is optional. */
export type UploadRecord = Readonly<Record<string, unknown>>;

/**
 * What can be uploaded. An Iterable or AsyncIterable is pulled one chunk at a time, only when a
 * slot is free (bounded memory). An Observable cannot be paused: what it pushes while all slots are
 * busy is buffered until a slot frees (memory grows with the difference of speeds).
 */
export type UploadSource = Observable<UploadRecord> | Iterable<UploadRecord> | AsyncIterable<UploadRecord>;

/** Options of `collection.uploadRecords`. `headers`, `retry`, `timeout` and `safe` cascade as usual. */
export interface UploadOptions extends ResourceOptions {
  /** Records per `/batch` request (default and maximum: the server's `batch_max_requests`). */
  readonly chunkSize?: number;
  /** Most `/batch` requests in flight (default 1). */
  readonly concurrency?: number;
  /** Called with the progress after each event. */
  readonly onProgress?: (progress: UploadProgress) => void;
  /** Id of a record that has none (default `crypto.randomUUID()`). */
  readonly generateId?: () => string;
  /**
   * How many times records that the server rolled back are sent again (default 10), whatever
   * `retry` says: on PostgreSQL, concurrent batches into one collection collide (409 "please
   * retry") and Kinto rolls back part of each, or the whole batch (a 409 on `/batch`). Only the
   * rolled-back records are sent again, after the 409's Retry-After, drawing from the client's
   * retry budget.
   */
  readonly rollbackRetries?: number;
}

/** Counters of an upload, cumulative. */
export interface UploadProgress {
  /** Records given ids and put in a `/batch` request. */
  readonly sent: number;
  /** Records the server confirmed (created or updated). */
  readonly confirmed: number;
  /** Records refused by the server (conflicts and failures). */
  readonly failed: number;
}

/**
 * The outcome of one record:
 * - `created`: 201, or a 412 of a create whose existing record equals what was sent (an earlier
 *   attempt of the same chunk, or an identical record already there);
 * - `updated`: 200 (a record with its own id that existed), or a 412 of an `If-Match` write whose
 *   existing record equals what was sent;
 * - `conflict`: 412 and the server holds something else (`existing`);
 * - `failed`: any other 4xx inside the batch (400 invalid record, 403...). Never replayed.
 */
export type RecordResult =
  | {
      /** The record was written. */
      readonly status: "created" | "updated";
      /** The record's id. */
      readonly id: string;
      /** The record as the server holds it. */
      readonly record: KintoObject;
    }
  | {
      /** The server holds another version of the record (412). */
      readonly status: "conflict";
      /** The record's id. */
      readonly id: string;
      /** The record the server holds, from the 412 body. */
      readonly existing: unknown;
      /** The 412 error. */
      readonly error: KintoHttpError;
    }
  | {
      /** The server refused the record. */
      readonly status: "failed";
      /** The record's id. */
      readonly id: string;
      /** The server's error. */
      readonly error: KintoHttpError;
    };

/**
 * What an upload emits, per chunk (`chunk` is the chunk's number, in pull order):
 * - `sent`: the chunk's records got their ids and its `/batch` request is on its way;
 * - `chunk`: the server answered; one result per record, in the chunk's order.
 * Chunks answer in any order when `concurrency > 1`.
 */
export type UploadEvent =
  | {
      /** The chunk's `/batch` request is on its way. */
      readonly type: "sent";
      /** The chunk's number, in pull order (from 0). */
      readonly chunk: number;
      /** The ids of the chunk's records, in order. */
      readonly ids: readonly string[];
      /** The upload's counters after this event. */
      readonly progress: UploadProgress;
    }
  | {
      /** The server answered the chunk. */
      readonly type: "chunk";
      /** The chunk's number, in pull order (from 0). */
      readonly chunk: number;
      /** One result per record, in the chunk's order. */
      readonly results: readonly RecordResult[];
      /** The upload's counters after this event. */
      readonly progress: UploadProgress;
    };

/** The failure of `results` that every later chunk would repeat, if any (see {@link UploadStopReason}). */
function stopCause(results: readonly RecordResult[]): { reason: UploadStopReason; error: KintoHttpError } | undefined {
  const failures = results.flatMap((r) => (r.status === "failed" ? [r.error] : []));
  for (const error of failures) {
    if (error.status === 401) return { reason: "unauthorized", error };
    if (error.status === 404 && ["bucket", "collection"].includes(resourceName(error) ?? "")) return { reason: "parent-missing", error };
    if (error.status === 405 || error.status === 415) return { reason: "refused", error };
  }
  // A 403 on some records only is theirs (records owned by others); on all of them, the collection's.
  if (failures.length === results.length && failures.length > 0 && failures.every((e) => e.status === 403))
    return { reason: "forbidden", error: failures[0] };
  return undefined;
}

/** A record ready to be sent: its id is fixed, so attempts are identical. */
interface Write {
  readonly id: string;
  readonly data: Record<string, unknown>;
  /** `create`: `If-None-Match: *`; `write`: `If-Match` or no header. */
  readonly kind: "create" | "write";
  readonly request: BatchRequest;
}

/**
 * Uploads `source` into a collection's records list; see the module comment. Cold: subscribing starts pulling,
 * unsubscribing aborts the requests in flight and pulls nothing more (an iterator is closed with
 * `return()`). Waits while the server's Backoff is in force. Fails on the first chunk that fails
 * whole (network, 5xx, 401/403 on `/batch`, after retries), and with an {@link UploadStoppedError}
 * on the first record failure that every later chunk would repeat; other per-record refusals are results.
 */
/** Where an upload writes: a records list and its scope. */
export interface UploadTarget {
  /** The collection's scope (client, handler, option levels). */
  readonly scope: Scope;
  /** The records list's path. */
  readonly path: string;
}

export function upload(target: UploadTarget, source: UploadSource, options: UploadOptions = {}): Observable<UploadEvent> {
  return defer(() => {
    const { chunkSize, concurrency = 1, onProgress, generateId = randomId, rollbackRetries = 10, ...callOptions } = options;
    requireCount(rollbackRetries + 1, "rollbackRetries");
    requireCount(concurrency, "concurrency");
    if (chunkSize !== undefined) requireCount(chunkSize, "chunkSize");
    const executor = target.scope.executor;
    const resolved = resolve(target.scope, callOptions);
    const prefix = versionPrefix(executor.remote);
    const progress = { sent: 0, confirmed: 0, failed: 0 };
    let chunks = 0;

    const prepare = (record: UploadRecord): Write => {
      if (!record || typeof record !== "object" || Array.isArray(record))
        throw new InvalidArgumentError("Each uploaded record must be an object.");
      const id = record.id === undefined || record.id === null ? generateId() : record.id;
      if (typeof id !== "string") throw new InvalidArgumentError("A record id must be a string.");
      const data: Record<string, unknown> = { ...record, id };
      const create = id !== record.id || (resolved.safe && data.last_modified === undefined);
      const headers = create ? { "If-None-Match": "*" } : safeHeaders(resolved.safe, data.last_modified as number | undefined);
      const request = { method: "PUT", path: `${prefix}${target.path}/${segment(id, "record")}`, headers, body: { data } };
      return { id, data, kind: create ? "create" : "write", request };
    };

    // Sends `writes`; what the server rolled back (or may not have kept: a 5xx inside the batch) is
    // sent again, only that, by the one retry operator (the server's Retry-After or the client's
    // delays, the retry budget, waits announced on `waiting$`): every write is create-only or
    // conditional, so a write that was in fact kept answers 412 with what was sent (`created`).
    const policy = executor.retryPolicyFor(rollbackRetries);
    const attempt = (writes: readonly Write[]): Observable<RecordResult[]> =>
      defer(() => {
        const results: (RecordResult | undefined)[] = writes.map(() => undefined);
        let pending = writes.map((_, i) => i);
        // The errors raised here to have what is pending sent again.
        const resends = new WeakSet<object>();
        return defer(() =>
          sendChunk(
            target.scope,
            pending.map((i) => writes[i].request),
            true,
            resolved,
            { waitBackoff: true },
          ),
        ).pipe(
          // A 409 on the /batch itself: its transaction failed to commit, nothing of it was kept.
          catchError((error: unknown) => (error instanceof KintoHttpError && error.status === 409 ? of(error) : throwError(() => error))),
          map((answer: BatchResponse[] | KintoHttpError): RecordResult[] => {
            let error: KintoHttpError;
            if (answer instanceof KintoHttpError) error = answer;
            else {
              const sent = pending.map((i) => writes[i]);
              const found = outcomes(
                sent.map((w) => w.request),
                answer,
              );
              sent.forEach((write, k) => {
                if (found[k] === "applied" || found[k] === "failed") results[pending[k]] = resultOf(write, answer[k]);
              });
              const cause = abortingItem(answer);
              error =
                cause < 0 ? new KintoHttpError(500, { method: "POST", path: "/batch" }, {}) : new TransactionAbortedError(answer[cause]);
            }
            pending = pending.filter((i) => results[i] === undefined);
            if (pending.length === 0) return results as RecordResult[];
            resends.add(error);
            throw error;
          }),
          retryTransient<RecordResult[]>({ ...policy, idempotent: true, retryable: (error) => resends.has(error as object) }),
        );
      });

    const sendRecords = (records: readonly UploadRecord[]): Observable<UploadEvent> =>
      defer(() => {
        const chunk = chunks++;
        const writes = records.map(prepare); // ids fixed before the first attempt
        progress.sent += writes.length;
        const sent: UploadEvent = { type: "sent", chunk, ids: writes.map((w) => w.id), progress: { ...progress } };
        const answered = attempt(writes).pipe(
          concatMap((results) => {
            for (const r of results) progress[r.status === "created" || r.status === "updated" ? "confirmed" : "failed"]++;
            const event: UploadEvent = { type: "chunk", chunk, results, progress: { ...progress } };
            const stop = stopCause(results);
            return stop
              ? concat(
                  of(event),
                  throwError(() => new UploadStoppedError(stop.reason, stop.error, chunk, { ...progress })),
                )
              : of(event);
          }),
        );
        return concat(of(sent), answered);
      });

    return executor.fetchServerSettings().pipe(
      switchMap((settings) => {
        const max = settings.batch_max_requests > 0 ? settings.batch_max_requests : Infinity;
        const size = Math.min(chunkSize ?? (max === Infinity ? 100 : max), max);
        return isObservable(source)
          ? source.pipe(bufferCount(size), mergeMap(sendRecords, concurrency))
          : pulled(source, size, concurrency, sendRecords);
      }),
      tap((event) => onProgress?.(event.progress)),
    );
  });
}

/**
 * Sends chunks read from an (async) iterable, reading the next chunk only when a send completes:
 * at most `concurrency` chunks are read and not yet answered.
 */
function pulled<E>(
  source: Iterable<UploadRecord> | AsyncIterable<UploadRecord>,
  size: number,
  concurrency: number,
  send: (chunk: UploadRecord[]) => Observable<E>,
): Observable<E> {
  return defer(() => {
    const reader = chunkReader(source);
    const demand = new Subject<void>();
    // `demand` is subscribed first: a send that completes synchronously asks for more before range
    // has finished. The queue scheduler (here and on subscription) turns synchronous answers into a
    // loop instead of a recursion (one stack level per chunk); asynchronous answers run at once.
    return merge(demand.pipe(observeOn(queueScheduler)), range(0, concurrency)).pipe(
      concatMap(() => reader.read(size)),
      takeWhile((chunk) => chunk.length > 0),
      // `complete`, not `finalize`: an unsubscribed send must not ask for more.
      mergeMap((chunk) => send(chunk).pipe(tap({ complete: () => demand.next() })), concurrency),
      finalize(() => reader.close()),
    );
  }).pipe(subscribeOn(queueScheduler));
}

/** Reads chunks from an Iterable (synchronously) or an AsyncIterable, one `next()` at a time. */
function chunkReader(source: Iterable<UploadRecord> | AsyncIterable<UploadRecord>): {
  read(size: number): Observable<UploadRecord[]>;
  close(): void;
} {
  if (typeof (source as AsyncIterable<UploadRecord>)?.[Symbol.asyncIterator] === "function") {
    const iterator = (source as AsyncIterable<UploadRecord>)[Symbol.asyncIterator]();
    let done = false;
    return {
      read: (size) =>
        defer(async () => {
          const chunk: UploadRecord[] = [];
          // `done` is also set by close(): a read in progress stops pulling when unsubscribed.
          while (!done && chunk.length < size) {
            const step = await iterator.next();
            if (step.done) done = true;
            else chunk.push(step.value);
          }
          return chunk;
        }),
      close: () => {
        done = true;
        void iterator.return?.()?.catch(() => undefined);
      },
    };
  }
  if (typeof (source as Iterable<UploadRecord>)?.[Symbol.iterator] !== "function" || typeof source === "string") {
    throw new InvalidArgumentError("The upload source must be an Observable, an Iterable or an AsyncIterable of records.");
  }
  const iterator = (source as Iterable<UploadRecord>)[Symbol.iterator]();
  let done = false;
  return {
    read: (size) =>
      defer(() => {
        const chunk: UploadRecord[] = [];
        while (!done && chunk.length < size) {
          const step = iterator.next();
          if (step.done) done = true;
          else chunk.push(step.value);
        }
        return of(chunk);
      }),
    close: () => {
      try {
        iterator.return?.();
      } catch {
        // A generator that is running cannot be closed; it stops being pulled anyway.
      }
    },
  };
}

/** The outcome of one write from its sub-response. */
function resultOf(write: Write, response: BatchResponse): RecordResult {
  const { id } = write;
  if (response.status === 200 || response.status === 201) {
    const record = decodeWith(envelope(KintoObject), response.body, response.path).data;
    return { status: response.status === 201 ? "created" : "updated", id, record };
  }
  const error = new KintoHttpError(
    response.status,
    { method: "PUT", path: response.path },
    errorBody(response.body, `PUT ${response.path}`),
  );
  if (response.status !== 412) return { status: "failed", id, error };
  const existing = error.existing;
  if (KintoObject.is(existing) && sameRecord(existing, write.data)) {
    return { status: write.kind === "create" ? "created" : "updated", id, record: existing };
  }
  return { status: "conflict", id, existing, error };
}

function requireCount(value: unknown, name: string): void {
  if (typeof value !== "number" || !Number.isInteger(value) || value < 1) {
    throw new InvalidArgumentError(`The upload option ${name} must be a positive integer.`);
  }
}
