/**
 * What really happened to each write of a `/batch`, from Kinto's batch view
 * (kinto/core/views/batch.py): the sub-requests run one after the other in the request's
 * transaction; when one answers 409 (on PostgreSQL, concurrent transactions colliding on a
 * timestamp), the view aborts the transaction and carries on with the next sub-requests in a new
 * one, committed at the end. The 200 answer still lists every earlier write's 2xx.
 *
 * ```
 * items:     w0 201   w1 201   w2 409   w3 201   w4 409   w5 201   w6 200
 * outcome:   rolled-back ───────────────────────────────  applied ────────
 *            (everything before the last 409, and the 409s)  (after it)
 * ```
 *
 * A 5xx inside the batch leaves the transaction in a state the answer does not tell: the writes of
 * such a batch are `unknown` until checked against the server (see `batch.ts`).
 */
import { KintoHttpError, type KintoErrorBody } from "../http/errors";
import { errorBodyOf } from "../http/decode";
import { parseRetryAfter } from "../http/retry-after";
import type { BatchResponse } from "../protocol/codecs";
import type { BatchRequest } from "./batch";

/**
 * The outcome of one sub-request:
 * - `applied`: committed (a write), or served (a read);
 * - `rolled-back`: answered 2xx (or 409) but undone with the transaction: not on the server;
 * - `failed`: refused by the server (4xx but 409; a read's 5xx): nothing was written;
 * - `unknown`: a write that failed with a 5xx, or any write of a batch with a 5xx inside.
 */
export type Outcome = "applied" | "rolled-back" | "failed" | "unknown";

/** Whether `method` writes. */
export function isWrite(method: string): boolean {
  return method !== "GET" && method !== "HEAD";
}

/**
 * The index of the item that aborted the batch's transaction: the last 409 (everything before it
 * was rolled back), else the first 5xx; -1 when there is none.
 */
export function abortingItem(responses: readonly BatchResponse[]): number {
  const statuses = responses.map((r) => r.status);
  return statuses.includes(409) ? statuses.lastIndexOf(409) : statuses.findIndex((status) => status >= 500);
}

/** The outcomes of `responses` (in request order), by the batch view's rule (module comment). */
export function outcomes(requests: readonly BatchRequest[], responses: readonly BatchResponse[]): Outcome[] {
  const statuses = responses.map((r) => r.status);
  const last409 = statuses.lastIndexOf(409);
  const broken = statuses.some((s) => s >= 500);
  return responses.map((response, i) => {
    const write = isWrite(requests[i]?.method ?? "GET");
    if (response.status === 409) return "rolled-back";
    if (response.status >= 500) return write ? "unknown" : "failed";
    if (response.status >= 400) return "failed";
    if (!write) return "applied";
    if (broken) return "unknown";
    return i < last409 ? "rolled-back" : "applied";
  });
}

/**
 * The response reported for a write that the server rolled back: a 409 in Kinto's error format,
 * never the 2xx of a write that is not on the server. The server's own answer stays in `reported`.
 * @param response the sub-response as the server sent it
 * @param cause the index of the 409 that aborted the transaction (for the message)
 */
export function rolledBack(response: BatchResponse, cause: number): BatchResponse {
  if (response.status === 409) return response;
  const body = {
    code: 409,
    errno: 122,
    error: "Conflict",
    message: `Rolled back: sub-request ${cause} of the same /batch answered 409 and the server aborted the transaction. Retry.`,
    reported: { status: response.status, body: response.body },
  };
  return { ...response, status: 409, body };
}

/** The response reported for a write whose outcome the server's answer does not tell. */
export function outcomeUnknown(response: BatchResponse): BatchResponse {
  const body = {
    code: 503,
    errno: 201,
    error: "Service Unavailable",
    message:
      "Outcome unknown: another sub-request of the same /batch failed with a server error; this write may or may not have been kept.",
    reported: { status: response.status, body: response.body },
  };
  return { ...response, status: 503, body };
}

/**
 * The server rolled back a whole `/batch` transaction: an item answered 409 or 5xx inside a 200
 * (Kinto aborts the transaction, the other items' 2xx are void). Uploads send such a chunk again
 * (up to `retry` times) and fail with this error when retries are exhausted.
 */
export class TransactionAbortedError extends KintoHttpError {
  /** @param item the sub-response that aborted the transaction (its `Retry-After`, if any, is honoured) */
  constructor(readonly item: BatchResponse) {
    super(item.status, { method: "POST", path: "/batch" }, errorBody(item.body), parseRetryAfter(headerOf(item, "retry-after")));
  }
}

/** A sub-response's header, by case-insensitive name. */
function headerOf(item: BatchResponse, name: string): string | undefined {
  for (const [key, value] of Object.entries(item.headers ?? {})) if (key.toLowerCase() === name) return value;
  return undefined;
}

/**
 * The Kinto error body inside a sub-response, through the payloads' guard (see {@link errorBodyOf}):
 * a `__proto__` key or a too deep nesting is a `PayloadValidationError`.
 * @param body the sub-response's body
 * @param path what answered, for that error
 */
export function errorBody(body: unknown, path = "POST /batch"): KintoErrorBody {
  return errorBodyOf(body, `error body of ${path}`);
}
