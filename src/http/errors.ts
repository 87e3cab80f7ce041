/**
 * Error classes of kinto-rx. Each carries what a caller needs to act without parsing a message,
 * and none ever carries a request header: the Authorization value cannot leak through an error,
 * its message, its JSON form or its stack.
 */

/** What an error says about the request that caused it: never its headers or body. */
export interface RequestSummary {
  /** HTTP method. */
  readonly method: string;
  /** Path and query below the server root (`/buckets/blog`), without credentials. */
  readonly path: string;
}

/** Base class of every error raised by kinto-rx. */
export class KintoError extends Error {
  /** @param message what went wrong, free of credentials */
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
    Object.setPrototypeOf(this, new.target.prototype);
  }
}

/** The JSON error body of a Kinto server (`{code, errno, error, message, details}`). */
export interface KintoErrorBody {
  /** HTTP status repeated by the server. */
  readonly code?: number;
  /** Kinto's own error number (see the server's error documentation). */
  readonly errno?: number;
  /** Short error name, e.g. `Precondition Failed`. */
  readonly error?: string;
  /** Human readable message. */
  readonly message?: string;
  /** Extra information, e.g. the current record on a 412 (`details.existing`). */
  readonly details?: unknown;
  /** Link to documentation. */
  readonly info?: string;
}

/** Longest server text quoted in an error's `message` (a hostile server may send megabytes). */
const MAX_MESSAGE = 500;
/** Longest `serverMessage` / `error` kept on a {@link KintoHttpError}. */
const MAX_SERVER_MESSAGE = 4096;

/** `text` cut to `max` characters, with a note of how much was cut. */
function bounded(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max)}… (${text.length - max} more characters)`;
}

/** Reason phrases of the statuses a Kinto server or its proxies answer, for messages without a server body. */
const STATUS_TEXT: Readonly<Record<number, string>> = {
  400: "Bad Request",
  401: "Unauthorized",
  403: "Forbidden",
  404: "Not Found",
  405: "Method Not Allowed",
  406: "Not Acceptable",
  409: "Conflict",
  410: "Gone",
  412: "Precondition Failed",
  413: "Payload Too Large",
  415: "Unsupported Media Type",
  429: "Too Many Requests",
  500: "Internal Server Error",
  502: "Bad Gateway",
  503: "Service Unavailable",
  504: "Gateway Timeout",
};

/**
 * The server answered with an HTTP error status (4xx or 5xx). Its message starts as kinto-http.js's
 * does, `HTTP 412 Precondition Failed`, then names the request and the server's message.
 */
export class KintoHttpError extends KintoError {
  /** HTTP status code. */
  readonly status: number;
  /** Kinto errno, when the server sent one. */
  readonly errno?: number;
  /** Kinto error code (usually the status again). */
  readonly code?: number;
  /** Short error name sent by the server. */
  readonly error?: string;
  /** Server message. */
  readonly serverMessage?: string;
  /** Server details (for a 412: `{existing}` with the current record). */
  readonly details?: unknown;
  /** Retry-After in milliseconds, when the server sent a valid one. */
  readonly retryAfterMs?: number;
  /** The failed request (method and path only). */
  readonly request: RequestSummary;

  /**
   * @param status HTTP status
   * @param request method and path of the failed request
   * @param body the decoded error body, if any
   * @param retryAfterMs Retry-After in ms, if any
   */
  constructor(status: number, request: RequestSummary, body: KintoErrorBody = {}, retryAfterMs?: number) {
    const text = body.error ?? STATUS_TEXT[status];
    const what = body.message ? `: ${bounded(body.message, MAX_MESSAGE)}` : "";
    super(`HTTP ${status}${text ? ` ${bounded(text, 100)}` : ""} on ${request.method} ${request.path}${what}`);
    this.status = status;
    this.request = request;
    this.errno = body.errno;
    this.code = body.code;
    this.error = body.error === undefined ? undefined : bounded(body.error, MAX_MESSAGE);
    this.serverMessage = body.message === undefined ? undefined : bounded(body.message, MAX_SERVER_MESSAGE);
    this.details = body.details;
    this.retryAfterMs = retryAfterMs;
  }

  /** The server's current version of the resource, carried by a 412 (`details.existing`). */
  get existing(): unknown {
    const details = this.details as { existing?: unknown } | undefined;
    return details && typeof details === "object" ? details.existing : undefined;
  }
}

/** No answer within the `timeout` (per attempt); the request was aborted. */
export class NetworkTimeoutError extends KintoError {
  /** The timeout in milliseconds. */
  readonly timeout: number;
  /** The request that timed out. */
  readonly request: RequestSummary;
  /** @param timeout ms waited @param request the request */
  constructor(timeout: number, request: RequestSummary) {
    super(`Timeout after ${timeout}ms on ${request.method} ${request.path}`);
    this.timeout = timeout;
    this.request = request;
  }
}

/** The connection failed or dropped before a response arrived (fetch rejected). */
export class NetworkError extends KintoError {
  /** The request that failed. */
  readonly request: RequestSummary;
  /** The underlying reason, reduced to its message (no request object, no headers). */
  readonly reason: string;
  /** @param request the request @param reason the transport's message */
  constructor(request: RequestSummary, reason: string) {
    super(`Network failure on ${request.method} ${request.path}: ${reason}`);
    this.request = request;
    this.reason = reason;
  }
}

/**
 * A non-idempotent write (a POST without an id) was sent and the connection dropped before the
 * answer: the server may or may not have applied it. kinto-rx never resends such a request on its own.
 */
export class OutcomeUnknownError extends NetworkError {}

/** The response body was not the JSON that was expected (invalid JSON, truncated body). */
export class UnparseableResponseError extends KintoError {
  /** HTTP status of the response. */
  readonly status: number;
  /** The first 200 characters of the body. */
  readonly bodyStart: string;
  /** The request. */
  readonly request: RequestSummary;
  /** @param status HTTP status @param body raw body text @param request the request */
  constructor(status: number, body: string, request: RequestSummary) {
    const bodyStart = body.slice(0, 200);
    super(`Unparseable ${status} response on ${request.method} ${request.path}: ${JSON.stringify(bodyStart)}`);
    this.status = status;
    this.bodyStart = bodyStart;
    this.request = request;
  }
}

/** One problem found by a codec: where (JSON path) and what was expected. */
export interface ValidationIssue {
  /** JSON path of the offending value, e.g. `$.data[3].title`. */
  readonly path: string;
  /** The name of the expected type. */
  readonly expected: string;
  /** A short rendering of the value found. */
  readonly actual: string;
}

/** A server payload did not match its io-ts codec; nothing unvalidated was emitted. */
export class PayloadValidationError extends KintoError {
  /** What was being decoded, e.g. `record "abc" of /buckets/b/collections/c/records`. */
  readonly context: string;
  /** Each problem, with its JSON path. */
  readonly issues: readonly ValidationIssue[];
  /** @param context what was decoded @param issues what was wrong */
  constructor(context: string, issues: readonly ValidationIssue[]) {
    const shown = issues
      .slice(0, 3)
      .map((i) => `${i.path}: expected ${i.expected}, got ${i.actual}`)
      .join("; ");
    const more = issues.length > 3 ? ` (+${issues.length - 3} more)` : "";
    super(`Invalid payload for ${context}: ${shown}${more}`);
    this.context = context;
    this.issues = issues;
  }
}

/** A call was refused before any request: a missing or unsafe id, a bad option. */
export class InvalidArgumentError extends KintoError {}

/** The server asked to wait longer (Retry-After) than the client's `maxRetryAfter` allows. */
export class RetryAfterTooLongError extends KintoError {
  /** The delay the server asked for, in ms. */
  readonly delayMs: number;
  /** The HTTP error that carried it. */
  readonly cause: KintoHttpError;
  /** @param delayMs requested delay @param maxMs the cap @param cause the error */
  constructor(delayMs: number, maxMs: number, cause: KintoHttpError) {
    super(`Server asked to retry after ${delayMs}ms, more than the allowed ${maxMs}ms`);
    this.delayMs = delayMs;
    this.cause = cause;
  }
}

/**
 * A listing that would never end: a `Next-Page` URL already requested came back (a server or proxy
 * answering every page with the same `Next-Page`, or a cycle of them), or the listing reached its
 * cap of requests (`maxRequests`, default {@link DEFAULT_MAX_PAGE_REQUESTS}). Not transient: never retried.
 */
export class PaginationLoopError extends KintoError {
  /** `repeated-url`: a Next-Page URL came back; `request-limit`: `maxRequests` reached. */
  readonly reason: "repeated-url" | "request-limit";
  /** Requests the listing had sent. */
  readonly requests: number;
  /** The request that was not sent (its path and query below the server root). */
  readonly request: RequestSummary;
  /** @param reason why @param request the refused request @param requests requests sent before it @param maxRequests the cap */
  constructor(reason: "repeated-url" | "request-limit", request: RequestSummary, requests: number, maxRequests: number) {
    super(
      reason === "repeated-url"
        ? `Pagination loop: the server sent a Next-Page already requested (${request.method} ${request.path}) after ${requests} requests`
        : `Pagination stopped: ${maxRequests} requests sent for one listing (maxRequests), next was ${request.method} ${request.path}`,
    );
    this.reason = reason;
    this.requests = requests;
    this.request = request;
  }
}

/** Default cap of requests per listing: 100,000 pages (a billion records at Kinto's usual page size of 10,000). */
export const DEFAULT_MAX_PAGE_REQUESTS = 100_000;

/**
 * A response body larger than the client's `maxResponseBytes` (default
 * {@link DEFAULT_MAX_RESPONSE_BYTES}): reading stopped there and the connection was dropped. Not
 * transient: never retried (the same body would come back).
 */
export class ResponseTooLargeError extends KintoError {
  /** The limit in bytes. */
  readonly limit: number;
  /** The request. */
  readonly request: RequestSummary;
  /** @param limit bytes allowed @param request the request */
  constructor(limit: number, request: RequestSummary) {
    super(`Response of ${request.method} ${request.path} is larger than maxResponseBytes (${limit} bytes)`);
    this.limit = limit;
    this.request = request;
  }
}

/** Default of `maxResponseBytes`: 64 MiB, ten thousand records of 6 KiB in one page. */
export const DEFAULT_MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

/** A server capability (plugin) a call needs, as the root endpoint names it in `capabilities`. */
export type Capability = "attachments" | "history" | "accounts" | "permissions_endpoint";

/**
 * The call needs a server capability (a plugin) that the server does not list in its
 * `capabilities`: either checked before sending (nothing was sent), or after the server answered
 * 404 and its root endpoint confirmed the plugin is missing (`cause` is that 404).
 */
export class MissingCapabilityError extends KintoError {
  /** The missing capability, e.g. `attachments`, `accounts`. */
  readonly capability: Capability | (string & {});
  /** The server's 404, when the call was sent. */
  readonly cause?: KintoHttpError;
  /**
   * @param capability what is missing
   * @param cause the server's answer, or the name of the operation that was not sent
   */
  constructor(capability: Capability | (string & {}), cause: KintoHttpError | string) {
    super(
      typeof cause === "string"
        ? `${cause} needs the server's "${capability}" capability, which it does not announce (is the plugin enabled?).`
        : `The server lacks the "${capability}" capability needed by ${cause.request.method} ${cause.request.path} (it answered ${cause.status})`,
    );
    this.capability = capability;
    if (typeof cause !== "string") this.cause = cause;
  }
}

const HEADERS = Symbol("responseHeaders");

/** Attaches the headers of the answer an error was made from (not enumerable: never logged or serialized). */
export function attachResponseHeaders<E extends object>(error: E, headers: { get(name: string): string | null }): E {
  Object.defineProperty(error, HEADERS, { value: headers, enumerable: false });
  return error;
}

/** The headers of the answer `error` was made from, if it came from one. */
export function responseHeadersOf(error: unknown): { get(name: string): string | null } | undefined {
  return error !== null && typeof error === "object"
    ? ((error as { [HEADERS]?: { get(name: string): string | null } })[HEADERS] ?? undefined)
    : undefined;
}
