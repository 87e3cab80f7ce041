/**
 * `client.request(...)`: any endpoint the client does not wrap (`__flush__`, a plugin's view, a
 * newer server's feature), sent through the same chain as every other call: options cascade,
 * retries, Backoff/Alert notices, timeouts, validation, and errors that never carry credentials.
 */
import type * as t from "io-ts";
import { map, type Observable } from "rxjs";
import { decodeWith } from "../http/decode";
import { InvalidArgumentError } from "../http/errors";
import type { HttpMethod, KintoRequest } from "../http/request";
import type { HeadersLike } from "../http/transport";
import type { ResourceOptions } from "../protocol/options";
import { type Scope, execute } from "../protocol/scope";
import { resolve } from "../protocol/options";

/**
 * A request to any endpoint below the server's version root: the same value the client sends for
 * its own calls. `path` is already percent-encoded and starts with `/` (e.g. `/__flush__`); no query
 * string in it: use `query`.
 */
export type RawRequest = KintoRequest;

/** Options of `client.request`: transport options and the codec of the JSON answer. */
export interface RawRequestOptions<C extends t.Mixed | undefined = undefined> extends Pick<
  ResourceOptions,
  "headers" | "retry" | "timeout"
> {
  /** An io-ts codec the response's JSON must match; without one, `json` is `unknown`. */
  readonly codec?: C;
}

/** The answer of `client.request`: status, headers and the (decoded) JSON body. */
export interface RawResponse<A> {
  /** HTTP status (2xx or 304: an error status fails the Observable with a `KintoHttpError`). */
  readonly status: number;
  /** Response headers (`ETag`, `Total-Records`, `Next-Page`...). */
  readonly headers: HeadersLike;
  /** The JSON body, decoded by the codec when one was given (`undefined` for HEAD, 204 and 304). */
  readonly json: A;
}

const METHODS: ReadonlySet<string> = new Set<HttpMethod>(["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"]);
/** One path segment: the characters RFC 3986 allows in a path, percent escapes included. */
const SEGMENT = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@]|%[0-9A-Fa-f]{2})*$/;

/** Checks a raw request before anything is sent; a bad one is an {@link InvalidArgumentError}. */
export function checkRawRequest(request: RawRequest): void {
  if (!request || typeof request !== "object")
    throw new InvalidArgumentError("request expects an object {method, path, query, headers, body}.");
  if (typeof request.method !== "string" || !METHODS.has(request.method)) {
    throw new InvalidArgumentError(
      `request.method must be one of ${[...METHODS].join(", ")}, got ${JSON.stringify(String(request.method))}.`,
    );
  }
  const path = request.path;
  if (typeof path !== "string" || !path.startsWith("/"))
    throw new InvalidArgumentError("request.path must be a string starting with / (below the version root, e.g. /__flush__).");
  if (/[?#]/.test(path))
    throw new InvalidArgumentError("request.path must not hold a query string or fragment: pass the query as request.query.");
  const segments = path.slice(1).split("/");
  for (const [i, segment] of segments.entries()) {
    if (!SEGMENT.test(segment))
      throw new InvalidArgumentError(`request.path segment ${i + 1} holds a character that must be percent-encoded (encodeURIComponent).`);
    if (segment === "" && i < segments.length - 1) throw new InvalidArgumentError("request.path must not hold an empty segment (//).");
    const decoded = segment.replace(/%2e/gi, ".");
    if (decoded === "." || decoded === "..")
      throw new InvalidArgumentError("request.path must not hold . or .. segments: they would leave the path given.");
  }
}

/**
 * Sends `request` under `scope` (the client's options, then `options`); emits the response once.
 * Checked when subscribed; nothing is sent for a refused request.
 */
export function rawRequest<A>(
  scope: Scope,
  request: RawRequest,
  options: RawRequestOptions<t.Mixed | undefined> = {},
): Observable<RawResponse<A>> {
  checkRawRequest(request);
  const resolved = resolve(scope, options);
  const { method, path, query, body, idempotent, context } = request;
  const headers = request.headers ? { ...resolved.headers, ...request.headers } : resolved.headers;
  const sent: KintoRequest = { method, path, query, headers, body, idempotent, context };
  const codec = options.codec;
  return execute(scope, sent, resolved).pipe(
    map((response) => ({
      status: response.status,
      headers: response.headers,
      json: (codec ? decodeWith(codec, response.json, `${method} ${path}`) : response.json) as A,
    })),
  );
}
