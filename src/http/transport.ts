/**
 * The backend of the chain (src/http/chain.ts): one request → one cold Observable of one response.
 * Subscribing sends; unsubscribing aborts the fetch and clears the timeout timer.
 */
import { Observable } from "rxjs";
import {
  InvalidArgumentError,
  KintoHttpError,
  NetworkError,
  NetworkTimeoutError,
  OutcomeUnknownError,
  PayloadValidationError,
  ResponseTooLargeError,
  UnparseableResponseError,
  DEFAULT_MAX_RESPONSE_BYTES,
  attachResponseHeaders,
  type KintoErrorBody,
  type RequestSummary,
} from "./errors";
import { isIdempotent, queryString, withoutUserinfo, type KintoRequest } from "./request";
import { errorBodyOf } from "./decode";
import { parseRetryAfter } from "./retry-after";

/**
 * The fetch function the transport calls: the global one, Node's or undici's (with a dispatcher),
 * cross-fetch's, or a test's. Typed by what the transport passes and reads, so that each of them
 * fits without a cast (the DOM's and undici's `RequestInit` / `Response` types differ).
 * @example
 * import { fetch, ProxyAgent } from "undici";
 * const agent = new ProxyAgent("http://proxy:3128");
 * new KintoClient(url, { fetch: (input, init) => fetch(input, { ...init, dispatcher: agent }) });
 */
export type FetchLike = (input: string, init: FetchInit) => Promise<FetchResponse>;

/** What the transport passes to fetch. */
export interface FetchInit {
  /** HTTP method. */
  method: string;
  /** Request headers. */
  headers: Record<string, string>;
  /** JSON text, or a multipart body already encoded (attachments: its Content-Type header carries the boundary). */
  body?: string | Uint8Array<ArrayBuffer>;
  /** Aborted on unsubscribe or timeout. */
  signal: AbortSignal;
  /** `manual`: redirects are followed by the transport, only within the remote's origin. */
  redirect: "manual" | "follow";
  /** CORS mode (browsers). */
  mode?: RequestMode;
}

/** The response headers, as the transport reads them. */
export interface HeadersLike {
  /** The value of header `name` (case-insensitive), or `null`. */
  get(name: string): string | null;
}

/** What the transport reads of fetch's response. */
export interface FetchResponse {
  /** HTTP status. */
  readonly status: number;
  /** `opaqueredirect` for a redirect hidden by a browser. */
  readonly type?: string;
  /** Response headers. */
  readonly headers: HeadersLike;
  /** The body as a stream (WHATWG or Node), read up to `maxResponseBytes`. */
  readonly body?: unknown;
  /** The body as text (used when there is no stream). */
  text(): Promise<string>;
  /** The body as bytes. */
  arrayBuffer?(): Promise<ArrayBuffer>;
}

/**
 * The platform's own fetch (browsers, Node 18+, Deno, Bun), else cross-fetch, loaded on the first
 * request. The ponyfill's name is not a literal in the `import()`, so that bundlers leave it out:
 * an app on a platform that has fetch (every browser, every SSR server) never carries it.
 */
export function defaultFetch(): FetchLike {
  if (typeof globalThis.fetch === "function") return globalThis.fetch.bind(globalThis);
  let ponyfill: Promise<FetchLike> | undefined;
  return (input, init) => {
    ponyfill ??= loadPonyfill().catch((error: unknown) => {
      ponyfill = undefined; // the next request tries again
      throw error;
    });
    return ponyfill.then((fetch) => fetch(input, init));
  };
}

const PONYFILL = "cross-fetch";

async function loadPonyfill(): Promise<FetchLike> {
  // The comments keep webpack and Vite from warning about (or trying to bundle) this import.
  const loaded = (await import(/* webpackIgnore: true */ /* @vite-ignore */ PONYFILL)) as { default?: unknown };
  // CommonJS seen from ESM: the function is the default export, or the default's default.
  const fetch = typeof loaded.default === "function" ? loaded.default : (loaded.default as { default?: unknown } | undefined)?.default;
  if (typeof fetch !== "function")
    throw new Error("This platform has no fetch and cross-fetch could not be loaded: pass the `fetch` option.");
  return fetch as FetchLike;
}

/** A decoded HTTP response: status, headers and parsed JSON (undefined for HEAD, 204 and 304). */
export interface KintoResponse {
  /** HTTP status (2xx or 304). */
  readonly status: number;
  /** Response headers. */
  readonly headers: HeadersLike;
  /** Parsed JSON body, not yet validated. */
  readonly json: unknown;
}

/** What the transport needs from its client, already normalized. */
export interface TransportConfig {
  /** Server root including the version, without trailing slash (`http://127.0.0.1:8888/v1`). */
  readonly remote: string;
  /** fetch implementation. */
  readonly fetch: FetchLike;
  /**
   * Headers sent with every request (read at send time, so `setHeaders` applies to later sends).
   * Changed by returning a new object, never by mutating the returned one: merges are cached by its identity.
   */
  readonly headers: () => Readonly<Record<string, string>>;
  /** CORS mode. */
  readonly requestMode?: RequestMode;
  /** Largest body read, in bytes (default {@link DEFAULT_MAX_RESPONSE_BYTES}); beyond, a {@link ResponseTooLargeError}. */
  readonly maxResponseBytes?: number;
}

const DEFAULT_HEADERS: Readonly<Record<string, string>> = {
  Accept: "application/json",
  "Content-Type": "application/json",
};

/**
 * Sends `request` once per subscription.
 * @param config the client's transport settings
 * @param request the request value
 * @param timeout per-attempt timeout in ms (none when null or undefined)
 */
export function send(config: TransportConfig, request: KintoRequest, timeout?: number | null): Observable<KintoResponse> {
  return new Observable<KintoResponse>((subscriber) => {
    const query = queryString(request.query);
    const summary: RequestSummary = { method: request.method, path: request.path + query };
    const form = request.body !== undefined && isFormData(request.body);
    const { headers, invalid } = requestHeaders(config, request, form);
    if (invalid) {
      // Refused before sending; the value is never echoed (fetch's own error would quote it).
      subscriber.error(new InvalidArgumentError(`Invalid HTTP header ${JSON.stringify(invalid)} on ${summary.method} ${summary.path}.`));
      return;
    }
    const controller = new AbortController();
    let timer: ReturnType<typeof setTimeout> | undefined;
    if (timeout != null && timeout > 0) {
      timer = setTimeout(() => {
        timer = undefined;
        controller.abort();
        subscriber.error(new NetworkTimeoutError(timeout, summary));
      }, timeout);
    }
    const init: FetchInit = {
      method: request.method,
      headers,
      body: request.body === undefined || form ? undefined : JSON.stringify(request.body),
      signal: controller.signal,
      // Redirects are followed by followRedirects, never by fetch: see there.
      redirect: "manual",
    };
    if (config.requestMode) init.mode = config.requestMode;
    const url = config.remote + request.path + query;
    let answered = false;
    // Once settled, the teardown has nothing to abort: aborting a finished fetch costs more than
    // the rest of the client's work on a small request.
    let settled = false;

    // One async function for the whole exchange: every extra promise between fetch and the
    // subscriber is a microtask and an allocation on each request.
    const exchange = async (): Promise<KintoResponse> => {
      if (form) await encodeForm(request.body as FormData, init);
      // A fetch that throws instead of rejecting is handled like a rejection (this is an async function).
      const first = await config.fetch(url, init);
      const response = isRedirect(first) ? await followRedirects(config, url, init, summary, first) : first;
      answered = true;
      const { status, headers: responseHeaders } = response;
      const text =
        request.method === "HEAD" || status === 204 || status === 304
          ? await emptyBody(response)
          : await readText(response, config.maxResponseBytes ?? DEFAULT_MAX_RESPONSE_BYTES, summary);
      try {
        return toResponse(status, responseHeaders, text, summary);
      } catch (error) {
        // The notices link reads an error answer's headers too (a 503's Backoff, a 429's Retry-After).
        throw attachResponseHeaders(error as Error, responseHeaders);
      }
    };
    exchange().then(
      (value) => {
        settled = true;
        if (timer !== undefined) clearTimeout(timer);
        subscriber.next(value);
        subscriber.complete();
      },
      (error: unknown) => {
        if (timer !== undefined) clearTimeout(timer);
        if (controller.signal.aborted) return; // unsubscribed or timed out: already reported
        settled = true;
        subscriber.error(toKintoError(error, request, summary, answered, Object.values(headers)));
      },
    );

    return () => {
      if (timer !== undefined) clearTimeout(timer);
      if (!settled) controller.abort();
    };
  });
}

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 5;

/**
 * What fetch (called with `redirect: "manual"`) answered, redirects followed only within the
 * remote's origin. Not every fetch drops `Authorization` on a redirect to another origin
 * (cross-fetch's node-fetch keeps it when only the port differs), so a redirect elsewhere is
 * refused with a {@link KintoHttpError} naming the target's origin, before anything is sent there.
 * A browser hides the target of a redirect (`opaqueredirect`); there the request is sent again with
 * `redirect: "follow"`, since a browser's fetch drops `Authorization` on a cross-origin redirect itself.
 * @param first the answer to `url` (a redirect or not: see {@link isRedirect})
 */
async function followRedirects(
  config: TransportConfig,
  url: string,
  init: FetchInit,
  summary: RequestSummary,
  first: FetchResponse,
): Promise<FetchResponse> {
  let current = url;
  let options = init;
  let response = first;
  for (let hops = 0; ; hops++) {
    if (response.type === "opaqueredirect") return config.fetch(current, { ...options, redirect: "follow" });
    const location = REDIRECTS.has(response.status) ? response.headers.get("Location") : null;
    if (location === null) return response;
    const answered = response;
    void Promise.resolve()
      .then((): Promise<unknown> => (answered.arrayBuffer ? answered.arrayBuffer() : answered.text()))
      .catch(() => undefined); // frees the connection
    const origin = new URL(config.remote).origin;
    const target = new URL(location, current);
    if (target.origin !== origin || hops >= MAX_REDIRECTS) {
      const why = hops >= MAX_REDIRECTS ? `more than ${MAX_REDIRECTS} redirects` : `redirect to another origin (${target.origin}) refused`;
      throw new KintoHttpError(response.status, summary, { message: `${why}: credentials are sent only to ${origin}` });
    }
    // As fetch does: 303 (and 301/302 of a POST) become a GET without body.
    const toGet =
      response.status === 303
        ? options.method !== "HEAD"
        : (response.status === 301 || response.status === 302) && options.method === "POST";
    if (toGet) options = { ...options, method: "GET", body: undefined, headers: withoutContentType(options.headers) };
    current = target.href;
    // A fetch that throws instead of rejecting is handled like a rejection (this is an async function).
    response = await config.fetch(current, options);
  }
}

/**
 * Reads the (empty) body of a HEAD, 204 or 304 response to its end: a browser reports a response
 * whose body is never read as an aborted request (`net::ERR_ABORTED`). What it holds is ignored,
 * and so is a failure to read it: the status and headers are the answer.
 */
async function emptyBody(response: FetchResponse): Promise<""> {
  if (response.body) await (response.arrayBuffer ? response.arrayBuffer() : response.text()).catch(() => undefined);
  return "";
}

/** Whether `response` is, or may be, a redirect for {@link followRedirects} to follow. */
function isRedirect(response: FetchResponse): boolean {
  return response.type === "opaqueredirect" || REDIRECTS.has(response.status);
}

function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "content-type"));
}

/**
 * Sets `init`'s body to `form` encoded as multipart bytes, and its Content-Type (with the boundary):
 * every fetch takes bytes, while the DOM's and undici's FormData types do not fit each other.
 */
async function encodeForm(form: FormData, init: FetchInit): Promise<void> {
  const encoded = new Response(form);
  init.body = new Uint8Array(await encoded.arrayBuffer());
  init.headers = { ...init.headers, "Content-Type": encoded.headers.get("Content-Type") ?? "multipart/form-data" };
}

function isFormData(body: unknown): boolean {
  return typeof FormData !== "undefined" && body instanceof FormData;
}

/** The default and client headers merged, with the name of the first invalid one. */
interface MergedHeaders {
  readonly headers: Record<string, string>;
  readonly names: Map<string, string>;
  readonly invalid: string | undefined;
}

/** Merges of the client's headers, by identity of its headers object (replaced, never mutated, by `setHeaders`). */
const clientMerges = new WeakMap<object, MergedHeaders>();

/**
 * Merged headers, names compared case-insensitively (a later `authorization` replaces an earlier
 * `Authorization` instead of being sent along with it); a FormData body gets no Content-Type, fetch
 * sets multipart's with its boundary. Also returns the name of the first header fetch would refuse.
 */
function requestHeaders(
  config: TransportConfig,
  request: KintoRequest,
  form: boolean,
): { headers: Record<string, string>; invalid: string | undefined } {
  const client = config.headers();
  let base = clientMerges.get(client);
  if (base === undefined) {
    const headers: Record<string, string> = {};
    const names = new Map<string, string>();
    mergeInto(headers, names, DEFAULT_HEADERS);
    mergeInto(headers, names, client);
    base = { headers, names, invalid: invalidHeader(headers) };
    clientMerges.set(client, base);
  }
  // The common case: no header of the call's own, no FormData; a copy, so that fetch gets an object of its own.
  if (!form && isEmpty(request.headers)) return { headers: { ...base.headers }, invalid: base.invalid };
  const headers = { ...base.headers };
  const names = new Map(base.names);
  if (request.headers) mergeInto(headers, names, request.headers);
  if (form && names.has("content-type")) delete headers[names.get("content-type")!];
  return { headers, invalid: invalidHeader(headers) };
}

function mergeInto(headers: Record<string, string>, names: Map<string, string>, source: Readonly<Record<string, string>>): void {
  for (const [name, value] of Object.entries(source)) {
    const previous = names.get(name.toLowerCase());
    if (previous !== undefined) delete headers[previous];
    names.set(name.toLowerCase(), name);
    headers[name] = value;
  }
}

function isEmpty(headers: Readonly<Record<string, string>> | undefined): boolean {
  if (headers === undefined) return true;
  for (const name in headers) if (Object.prototype.hasOwnProperty.call(headers, name)) return false;
  return true;
}

const TOKEN = /^[!#$%&'*+.^`|~\w-]+$/;
/** What fetch refuses in a header value: CR, LF, NUL, other controls but tab, and non-Latin-1. */
const BAD_VALUE = /[^\t\x20-\x7e\x80-\xff]/;

/** The name of the first header that fetch would refuse (bad name, CR/LF or NUL in the value). */
function invalidHeader(headers: Record<string, string>): string | undefined {
  for (const [name, value] of Object.entries(headers)) {
    if (!TOKEN.test(name)) return "(invalid name)";
    if (typeof value !== "string" || BAD_VALUE.test(value)) return name;
  }
  return undefined;
}

/** UTF-8, a leading BOM stripped (`ignoreBOM: false`): the same for every fetch (node-fetch's `text()` keeps it). Made on first use. */
let utf8: TextDecoder | undefined;

/**
 * The body of `response` as text, at most `limit` bytes: a larger one is a {@link ResponseTooLargeError},
 * its reading stopped there. A body whose uncompressed size is known (`Content-Length` without
 * `Content-Encoding`) is read in one piece, any other as a stream counted chunk by chunk.
 */
async function readText(response: FetchResponse, limit: number, summary: RequestSummary): Promise<string> {
  const declared = response.headers.get("Content-Length");
  const known = declared !== null && /^\d+$/.test(declared) && response.headers.get("Content-Encoding") === null;
  const body = response.body as unknown;
  if (known && Number(declared) > limit) {
    discard(body);
    throw new ResponseTooLargeError(limit, summary);
  }
  if (known && response.arrayBuffer) return decodeBytes(await response.arrayBuffer(), limit, summary);
  const decoder = new TextDecoder("utf-8");
  let size = 0;
  let text = "";
  const add = (chunk: Uint8Array): boolean => {
    size += chunk.byteLength;
    if (size > limit) return false;
    text += decoder.decode(chunk, { stream: true });
    return true;
  };
  if (body && typeof (body as ReadableStream<Uint8Array>).getReader === "function") {
    const reader = (body as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return text + decoder.decode();
      if (!add(value)) {
        void reader.cancel().catch(() => undefined);
        throw new ResponseTooLargeError(limit, summary);
      }
    }
  }
  if (body && typeof (body as AsyncIterable<Uint8Array>)[Symbol.asyncIterator] === "function") {
    // Leaving the loop early destroys the Node stream (node-fetch's body).
    for await (const chunk of body as AsyncIterable<Uint8Array>) if (!add(chunk)) throw new ResponseTooLargeError(limit, summary);
    return text + decoder.decode();
  }
  // A fetch without body streams (a test's, an old polyfill's): the whole text, measured after.
  const whole = await response.text();
  if (whole.length > limit / 3 && new TextEncoder().encode(whole).byteLength > limit) throw new ResponseTooLargeError(limit, summary);
  return whole.charCodeAt(0) === 0xfeff ? whole.slice(1) : whole;
}

function decodeBytes(buffer: ArrayBuffer, limit: number, summary: RequestSummary): string {
  if (buffer.byteLength > limit) throw new ResponseTooLargeError(limit, summary);
  return (utf8 ??= new TextDecoder("utf-8")).decode(buffer);
}

/** Stops reading `body` and drops its connection. */
function discard(body: unknown): void {
  const stream = body as { cancel?: () => Promise<void>; destroy?: () => void; locked?: boolean } | null;
  if (typeof stream?.cancel === "function" && !stream.locked) void stream.cancel().catch(() => undefined);
  else if (typeof stream?.destroy === "function") stream.destroy();
}

/** The response of a body read as `text` (empty for HEAD, 204 and 304); an HTTP error is thrown. */
function toResponse(status: number, headers: HeadersLike, text: string, summary: RequestSummary): KintoResponse {
  if (status >= 400) {
    throw new KintoHttpError(status, summary, errorBody(text, summary), parseRetryAfter(headers.get("Retry-After")));
  }
  if (text === "") return { status, headers, json: undefined };
  try {
    return { status, headers, json: JSON.parse(text) };
  } catch {
    throw new UnparseableResponseError(status, text, summary);
  }
}

function errorBody(text: string, summary: RequestSummary): KintoErrorBody {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {}; // An HTML page from a proxy, or nothing: the status alone says what happened.
  }
  return errorBodyOf(parsed, `error body of ${summary.method} ${summary.path}`);
}

function toKintoError(error: unknown, request: KintoRequest, summary: RequestSummary, answered: boolean, secrets: string[]): Error {
  if (
    error instanceof KintoHttpError ||
    error instanceof UnparseableResponseError ||
    error instanceof PayloadValidationError ||
    error instanceof ResponseTooLargeError
  )
    return error;
  // Keep only the message, with any user:password@ of a URL and any header value cut out.
  let reason = withoutUserinfo(error instanceof Error ? error.message : String(error));
  // Node's "fetch failed" says why only in its cause's code (ECONNREFUSED, ECONNRESET...).
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === "string" && /^[A-Z_]+$/.test(code)) reason += ` (${code})`;
  for (const secret of secrets) if (secret.trim().length >= 4) reason = reason.split(secret.trim()).join("[redacted]");
  // A write that is not safe to repeat and whose answer never arrived may have been applied.
  if (!isIdempotent(request) && request.method !== "GET") return new OutcomeUnknownError(summary, reason);
  return new NetworkError(summary, answered ? `response interrupted (${reason})` : reason);
}
