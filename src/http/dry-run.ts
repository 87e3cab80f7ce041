/**
 * Dry runs (kinto-http.py's `dry_mode`): an interceptor that records the writes an operation would
 * send, instead of sending them.
 */
import { EMPTY } from "rxjs";
import type { KintoInterceptor } from "./chain";
import { pathAndQuery, type HttpMethod, type KintoRequest } from "./request";

/** A request a dry run did not send. */
export interface DryRunRequest {
  /** HTTP method. */
  readonly method: HttpMethod;
  /** Path and query below the version root (`/buckets/b/collections/c/records/r`). */
  readonly path: string;
  /** The request's own headers (concurrency control...); credentials are never shown. */
  readonly headers: Readonly<Record<string, string>>;
  /** The JSON body (for `/batch`: its sub-requests). */
  readonly body?: unknown;
}

/** Options of {@link dryRun}. */
export interface DryRunOptions {
  /**
   * `send` (default): reads (GET, HEAD) are sent, so that what depends on the server's answer (its
   * `batch_max_requests`, the current records) still runs; `record`: reads are recorded and not sent either.
   */
  readonly reads?: "send" | "record";
}

const SECRET_HEADERS = /^(authorization|cookie|proxy-authorization)$/i;

/**
 * An interceptor that records each write (and with `reads: "record"`, each read) and answers it
 * with nothing: the operation completes without emitting, and the server never sees the request.
 * Put it in the client's `interceptors` (a client of its own for the dry run).
 * @param record called with each request not sent
 * @param options which requests are recorded
 * @example
 * const client = new KintoClient(url, { interceptors: [dryRun((r) => console.log(r.method, r.path))] });
 * client.bucket("blog").collection("posts").createRecord({ title: "draft" }).subscribe({ complete: () => console.log("nothing sent") });
 */
export function dryRun(record: (request: DryRunRequest) => void, options: DryRunOptions = {}): KintoInterceptor {
  const reads = options.reads ?? "send";
  return (request, next) => {
    if (reads === "send" && (request.method === "GET" || request.method === "HEAD")) return next(request);
    record(describe(request));
    return EMPTY;
  };
}

function describe(request: KintoRequest): DryRunRequest {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name] = SECRET_HEADERS.test(name) ? "[redacted]" : value;
  const described: DryRunRequest = { method: request.method, path: pathAndQuery(request), headers };
  return request.body === undefined ? described : { ...described, body: request.body };
}
