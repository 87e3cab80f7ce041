/**
 * The request as an immutable value: built once, changed only through {@link withRequest},
 * never mutated on its way out.
 */

/** HTTP methods used by the Kinto protocol. */
export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE";

/** A query string value; arrays are joined with commas (Kinto's `in_`, `_fields`...). */
export type QueryValue = string | number | boolean | readonly (string | number)[] | undefined;

/** One HTTP request to the Kinto server. */
export interface KintoRequest {
  /** HTTP method. */
  readonly method: HttpMethod;
  /** Path below the remote's version root, starting with `/` (e.g. `/buckets/blog`). Already encoded. */
  readonly path: string;
  /** Query parameters; `undefined` values are dropped. */
  readonly query?: Readonly<Record<string, QueryValue>>;
  /** Headers of this call, merged over the client's defaults. */
  readonly headers?: Readonly<Record<string, string>>;
  /** JSON body, serialized by the transport; a `FormData` is sent as is (multipart, no JSON Content-Type). */
  readonly body?: unknown;
  /**
   * Whether sending this request twice has the same effect as once. Defaults from the method
   * (GET, HEAD, PUT, DELETE); a POST is idempotent only when its caller says so (a create with a
   * client id and `If-None-Match: *`).
   */
  readonly idempotent?: boolean;
}

/** Per-call transport options, cascaded client → bucket → collection → call. */
export interface CallOptions {
  /** Extra headers for this call, merged over the inherited ones. */
  readonly headers?: Readonly<Record<string, string>>;
  /** How many times a transient failure is retried (default 0). */
  readonly retry?: number;
  /** Timeout per attempt in ms; `null` or `undefined` means none. */
  readonly timeout?: number | null;
}

/** Returns a copy of `request` with `changes` applied; headers are merged, not replaced. */
export function withRequest(request: KintoRequest, changes: Partial<KintoRequest>): KintoRequest {
  return {
    ...request,
    ...changes,
    headers: { ...request.headers, ...changes.headers },
  };
}

/** Whether `request` may be sent again without changing its effect. */
export function isIdempotent(request: KintoRequest): boolean {
  if (request.idempotent !== undefined) return request.idempotent;
  return request.method !== "POST" && request.method !== "PATCH";
}

/** Serializes a query object: keys in order, values URL-encoded, arrays comma-joined. */
export function queryString(query: KintoRequest["query"]): string {
  if (!query) return "";
  const parts: string[] = [];
  for (const [key, value] of Object.entries(query)) {
    if (value === undefined) continue;
    const text = Array.isArray(value) ? value.join(",") : String(value);
    parts.push(`${encodeURIComponent(key)}=${encodeURIComponent(text)}`);
  }
  return parts.length ? `?${parts.join("&")}` : "";
}

/** Method and path (with query) of a request, for errors and logs: never headers or body. */
export function describe(request: KintoRequest): { method: string; path: string } {
  return { method: request.method, path: request.path + queryString(request.query) };
}
