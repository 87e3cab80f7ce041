/**
 * Batches: operations queued by a function are sent to `/batch`, split into chunks of the server's
 * `batch_max_requests`, one chunk after the other.
 */
import { catchError, concatMap, defer, EMPTY, from, map, of, reduce, Subscription, switchMap, throwError, type Observable } from "rxjs";
import type { KintoHandler } from "../http/chain";
import { decodeWith } from "../http/decode";
import { RetryAfterTooLongError } from "../http/errors";
import { retryTransient } from "../http/retry";
import { isIdempotent, pathAndQuery, type KintoRequest } from "../http/request";
import { BatchResponses, type BatchResponse } from "../protocol/codecs";
import type { Resolved, ResourceOptions } from "../protocol/options";
import { versionPrefix } from "../protocol/paths";
import { execute, type ExecuteFlags, type Scope } from "../protocol/scope";
import { abortingItem, outcomes, outcomeUnknown, rolledBack, TransactionAbortedError, type Outcome } from "./outcomes";
import { aggregate } from "./aggregate";

export { aggregate } from "./aggregate";
import { resolve } from "../protocol/options";

/** One sub-request of a `/batch` body. */
export interface BatchRequest {
  /** HTTP method. */
  readonly method: string;
  /** Path including the version prefix and query (`/v1/buckets/b/...`). */
  readonly path: string;
  /** Sub-request headers (concurrency control...). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Sub-request body. */
  readonly body?: unknown;
}

/** Options of `batch`. */
export interface BatchOptions extends ResourceOptions {
  /** Emit `{errors, published, conflicts, skipped}` instead of the responses. */
  readonly aggregate?: boolean;
  /** Default bucket of the operations (`client.batch` only). */
  readonly bucket?: string;
  /** Default collection of the operations (with `bucket`). */
  readonly collection?: string;
}

/** The aggregated result of a batch (`aggregate: true`). */
export interface AggregateResponse {
  /** Failed operations (HTTP 400, 5xx...). */
  readonly errors: {
    /** The path of the failed sub-request. */
    path: string;
    /** The sub-request as sent. */
    sent: BatchRequest;
    /** The server's error body. */
    error: unknown;
  }[];
  /** Successfully published objects (HTTP 200, 201), committed on the server. */
  readonly published: unknown[];
  /** Conflicts (HTTP 412): what was sent and what the server holds. */
  readonly conflicts: {
    /** Always `"outgoing"` (the local change was refused). */
    type: "outgoing";
    /** What was sent. */
    local: unknown;
    /** What the server holds (the 412's `details.existing`; `null` if it sent none). */
    remote: unknown;
  }[];
  /**
   * Writes the server answered 2xx (or 409) but rolled back with the batch's transaction (a later
   * sub-request answered 409), and that were not sent again or failed again: not on the server.
   */
  readonly rolledBack: {
    /** The path of the sub-request. */
    path: string;
    /** The sub-request as sent. */
    sent: BatchRequest;
    /** The reported 409 body (`reported` holds the server's own answer). */
    error: unknown;
  }[];
  /** Writes of a batch with a server error (5xx) inside, that may or may not have been kept. */
  readonly unknown: {
    /** The path of the sub-request. */
    path: string;
    /** The sub-request as sent. */
    sent: BatchRequest;
    /** The reported 503 body (`reported` holds the server's own answer). */
    error: unknown;
  }[];
  /** Operations whose target was missing (HTTP 404). */
  readonly skipped: {
    /** The id of the missing object, when the sub-request named one. */
    id: string | undefined;
    /** The path of the sub-request. */
    path: string;
    /** The server's error body. */
    error: unknown;
  }[];
}

/** What `batch` emits: the responses in request order (each with its outcome), or the aggregate. */
export type BatchResult = CheckedBatchResponse[] | AggregateResponse;

/**
 * The handler of a batch's recording scope: each request is recorded as a sub-request (its path
 * with the version prefix and query) and answered with nothing, so that the operation completes at once.
 */
class Recorder {
  readonly requests: BatchRequest[] = [];
  readonly idempotent: boolean[] = [];
  constructor(private readonly prefix: string) {}
  readonly handle: KintoHandler = (request) => {
    this.requests.push({
      method: request.method,
      path: this.prefix + pathAndQuery(request),
      headers: request.headers && Object.keys(request.headers).length ? request.headers : undefined,
      body: request.body,
    });
    this.idempotent.push(isIdempotent(request));
    return EMPTY;
  };
}

/** Splits `items` into chunks of at most `size`. */
export function chunks<T>(items: readonly T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += Math.max(1, size)) out.push(items.slice(i, i + Math.max(1, size)));
  return out;
}

/**
 * Sends `requests` to `/batch` in chunks of `batch_max_requests`, one chunk at a time, and emits
 * each chunk's responses, checked ({@link sendChecked}). A chunk whose sub-requests are all safe to
 * repeat may be retried whole on a transport failure.
 */
export function sendBatches(
  scope: Scope,
  requests: readonly BatchRequest[],
  idempotent: readonly boolean[],
  options: ResourceOptions = {},
): Observable<CheckedBatchResponse[]> {
  const resolved = resolve(scope, options);
  return scope.executor.fetchServerSettings().pipe(
    switchMap((settings) => {
      const size = settings.batch_max_requests || requests.length || 1;
      const indexes = chunks(
        requests.map((_, i) => i),
        size,
      );
      return from(indexes).pipe(
        concatMap((chunk) =>
          sendChecked(
            scope,
            chunk.map((i) => requests[i]),
            chunk.every((i) => idempotent[i]),
            resolved,
          ),
        ),
      );
    }),
  );
}

/** Sends one `/batch` request; emits its responses as the server sent them. */
export function sendChunk(
  scope: Scope,
  requests: readonly BatchRequest[],
  idempotent: boolean,
  resolved: Resolved,
  flags: ExecuteFlags = {},
): Observable<BatchResponse[]> {
  const request: KintoRequest = { method: "POST", path: "/batch", body: { requests }, headers: resolved.headers, idempotent };
  return execute(scope, request, resolved, flags).pipe(map((response) => decodeWith(BatchResponses, response.json, "/batch").responses));
}

/** A sub-response with what became of it on the server (see {@link Outcome}). */
export type CheckedBatchResponse = BatchResponse & {
  /** `applied`, `rolled-back` (reported as a 409), `failed` or `unknown` (reported as a 503). */
  readonly outcome: Outcome;
};

/**
 * Sends one chunk and reports each sub-request as what it is ({@link outcomes}): a write rolled
 * back by a later 409 is reported as a 409, never as the 2xx the server listed. When `retry`
 * allows, the rolled-back sub-requests (only they) are sent again after the 409's Retry-After (or
 * the client's retry delay), drawing from the retry budget: a create by POST as a create-only PUT
 * at the id the server had given it (`If-None-Match: *`), so that no write is ever duplicated.
 */
export function sendChecked(
  scope: Scope,
  requests: readonly BatchRequest[],
  idempotent: boolean,
  resolved: Resolved,
): Observable<CheckedBatchResponse[]> {
  return defer(() => {
    const results: (CheckedBatchResponse | undefined)[] = requests.map(() => undefined);
    let pending: readonly number[] = requests.map((_, i) => i);
    let sent: readonly BatchRequest[] = requests;
    let round = 0;
    // The errors this function raises to have the rolled-back sub-requests sent again.
    const rollbacks = new WeakSet<object>();
    const checked = (responses: BatchResponse[]): CheckedBatchResponse[] => {
      const found = outcomes(sent, responses);
      // Only a 409 rolls writes back (`outcomes`), so when any was, this is the last 409.
      const cause = abortingItem(responses);
      const again: number[] = [];
      const resend: BatchRequest[] = [];
      found.forEach((outcome, k) => {
        const i = pending[k];
        const response = responses[k];
        if (outcome === "rolled-back") {
          results[i] = { ...rolledBack(response, cause), outcome };
          again.push(i);
          resend.push(resendable(sent[k], response));
        } else results[i] = { ...(outcome === "unknown" ? outcomeUnknown(response) : response), outcome };
      });
      if (again.length === 0) return results as CheckedBatchResponse[];
      [pending, sent] = [again, resend];
      const aborted = new TransactionAbortedError(responses[cause]);
      rollbacks.add(aborted);
      throw aborted;
    };
    const isRollback = (error: unknown) =>
      rollbacks.has(error as object) || (error instanceof RetryAfterTooLongError && rollbacks.has(error.cause));
    return defer(() => sendChunk(scope, sent, idempotent && round++ === 0, resolved)).pipe(
      map(checked),
      // The one retry operator: delays, Retry-After (a longer one than maxRetryAfter is not waited
      // for: what was rolled back is reported so), the retry budget, waits announced on `waiting$`.
      retryTransient({
        ...scope.executor.retryPolicyFor(resolved.retry),
        idempotent: true,
        retryable: (error) => rollbacks.has(error as object),
      }),
      catchError((error: unknown) => (isRollback(error) ? of(results as CheckedBatchResponse[]) : throwError(() => error))),
    );
  });
}

/**
 * A rolled-back sub-request, in a form that is safe to send again: a POST create becomes a
 * create-only PUT at the id the server had answered with (the record is not there: it was rolled
 * back); anything else is sent as it was (it was not applied).
 */
function resendable(request: BatchRequest, response: BatchResponse): BatchRequest {
  const id = (response.body as { data?: { id?: unknown } } | undefined)?.data?.id;
  if (request.method !== "POST" || typeof id !== "string") return request;
  const [path, query] = request.path.split("?");
  const body = request.body as { data?: Record<string, unknown>; permissions?: unknown } | undefined;
  return {
    method: "PUT",
    path: `${path}/${encodeURIComponent(id)}${query ? `?${query}` : ""}`,
    headers: { ...request.headers, "If-None-Match": "*" },
    body: { ...body, data: { ...body?.data, id } },
  };
}

/** What a batch's `open` gets: how to rebuild a resource on the recording scope, and the queue. */
export interface BatchRecording {
  /** `scope` with its handler swapped for the recorder, and the batch's `safe` as its nearest level. */
  readonly on: (scope: Scope) => Scope;
  /** Subscribes an operation at once: its request is recorded, and it completes. */
  readonly queue: (operation: Observable<unknown>) => void;
}

/**
 * `client.batch`, `bucket.batch`, `collection.batch`: runs `fn` on what `open` builds on the
 * recording (the resource rebuilt on a scope whose handler records instead of sending), then sends
 * what was queued through `scope`. Every queued operation completes while `fn` runs; nothing it
 * started outlives the call. Emits one array of responses in request order (or the aggregate with
 * `aggregate: true`) and completes.
 * @param scope the resource's scope: the `/batch` requests go to its handler, with its options
 * @param open builds what `fn` receives
 */
export function batch<B, R>(
  scope: Scope,
  open: (recording: BatchRecording) => B,
  fn: (batch: B) => void,
  options: BatchOptions,
): Observable<R> {
  return defer(() => {
    const recorder = new Recorder(versionPrefix(scope.executor.remote));
    const { aggregate: wantAggregate, bucket: _bucket, collection: _collection, ...callOptions } = options;
    const safe = { safe: resolve(scope, callOptions).safe };
    const errors: unknown[] = [];
    const queued = new Subscription();
    const recording: BatchRecording = {
      on: (parent) => ({ executor: parent.executor, handler: recorder.handle, levels: [...parent.levels, safe] }),
      queue: (operation) => queued.add(operation.subscribe({ error: (error: unknown) => errors.push(error) })),
    };
    try {
      fn(open(recording));
    } finally {
      queued.unsubscribe();
    }
    // Nothing is sent when one of the queued calls was refused.
    if (errors.length > 0) throw errors[0];
    if (recorder.requests.length === 0) return from([(wantAggregate ? aggregate([], []) : []) as R]);
    return sendBatches(scope, recorder.requests, recorder.idempotent, callOptions).pipe(
      reduce((all, responses) => all.concat(responses), [] as CheckedBatchResponse[]),
      map((responses) => (wantAggregate ? aggregate(responses, recorder.requests) : responses) as R),
    );
  });
}
