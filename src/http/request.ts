/**
 * The request as an immutable value: built once, copied (never mutated) when a link of the
 * chain needs to change it.
 */
import type { RequestContext } from "./context";

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
  /**
   * Values for the links of the chain (retry count, timeout, your interceptors' own tokens): see
   * {@link RequestContext}. Never sent.
   */
  readonly context?: RequestContext;
}

/** Whether `request` may be sent again without changing its effect. */
export function isIdempotent(request: KintoRequest): boolean {
  if (request.idempotent !== undefined) return request.idempotent;
  return request.method !== "POST" && request.method !== "PATCH";
}

/** The path of `request` with its query string: what identifies it in messages, logs and `/batch` sub-requests. */
export function pathAndQuery(request: Pick<KintoRequest, "path" | "query">): string {
  return request.path + queryString(request.query);
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

/**
 * `text` with the userinfo (`user:password@`) of every URL in it cut out. A password may hold `@`,
 * `/`, `:` or spaces, so everything from a scheme's `//` to the last `@` after it is cut: more than
 * the userinfo when a path holds an `@`, never less.
 * @param text a URL, or a message that may quote URLs
 */
export function withoutUserinfo(text: string): string {
  return text.replace(/\/\/[^]*@/g, "//[credentials removed]@");
}

/**
 * One URL for a message: when it holds an `@`, everything between its scheme (if any) and its last
 * `@` is cut (`alice:pw@host/v1` → `[credentials removed]@host/v1`).
 */
export function safeUrlText(url: string): string {
  if (!url.includes("@")) return url;
  const scheme = /^[a-z][a-z\d+.-]*:\/\//i.exec(url)?.[0] ?? "";
  return `${scheme}[credentials removed]@${url.slice(url.lastIndexOf("@") + 1)}`;
}
