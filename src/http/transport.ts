/**
 * The backend link of the chain: one request → one cold Observable of one response.
 * Subscribing sends; unsubscribing aborts the fetch and clears the timeout timer.
 */
import { Observable } from "rxjs";
import {
  InvalidArgumentError,
  KintoHttpError,
  NetworkError,
  NetworkTimeoutError,
  OutcomeUnknownError,
  UnparseableResponseError,
  type KintoErrorBody,
  type RequestSummary,
} from "./errors";
import { describe, isIdempotent, queryString, type KintoRequest } from "./request";
import { parseRetryAfter } from "./retry-after";

/** The fetch function the transport calls (the global one, cross-fetch's, or a test's). */
export type FetchLike = (input: string, init: RequestInit) => Promise<Response>;

/** A decoded HTTP response: status, headers and parsed JSON (undefined for HEAD, 204 and 304). */
export interface KintoResponse {
  /** HTTP status (2xx or 304). */
  readonly status: number;
  /** Response headers. */
  readonly headers: Headers;
  /** Parsed JSON body, not yet validated. */
  readonly json: unknown;
}

/** What the transport needs from its client, already normalized. */
export interface TransportConfig {
  /** Server root including the version, without trailing slash (`http://127.0.0.1:8888/v1`). */
  readonly remote: string;
  /** fetch implementation. */
  readonly fetch: FetchLike;
  /** Headers sent with every request (read at send time, so `setHeaders` applies to later sends). */
  readonly headers: () => Readonly<Record<string, string>>;
  /** CORS mode. */
  readonly requestMode?: RequestMode;
  /** Called with every response's headers, errors included (Backoff, Alert, Retry-After notices). */
  readonly onHeaders?: (headers: Headers) => void;
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
    const summary = describe(request);
    const form = isFormData(request.body);
    const headers = requestHeaders(config, request, form);
    const invalid = invalidHeader(headers);
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
    const init: RequestInit = {
      method: request.method,
      headers,
      body: request.body === undefined ? undefined : form ? (request.body as FormData) : JSON.stringify(request.body),
      signal: controller.signal,
      // Redirects are followed by fetchSameOrigin, never by fetch: see there.
      redirect: "manual",
    };
    if (config.requestMode) init.mode = config.requestMode;
    const url = config.remote + request.path + queryString(request.query);
    let answered = false;
    // Once settled, the teardown has nothing to abort: aborting a finished fetch costs more than
    // the rest of the client's work on a small request.
    let settled = false;

    fetchSameOrigin(config, url, init, summary)
      .then(async (response) => {
        answered = true;
        observeHeaders(config, response.headers);
        return readResponse(response, request, summary);
      })
      .then(
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
 * fetch with `redirect: "manual"`, following redirects only within the remote's origin. Not every
 * fetch drops `Authorization` on a redirect to another origin (cross-fetch's node-fetch keeps it
 * when only the port differs), so a redirect elsewhere is refused with a {@link KintoHttpError}
 * naming the target's origin, before anything is sent there. A browser hides the target of a
 * redirect (`opaqueredirect`); there the request is sent again with `redirect: "follow"`, since a
 * browser's fetch drops `Authorization` on a cross-origin redirect itself.
 */
async function fetchSameOrigin(config: TransportConfig, url: string, init: RequestInit, summary: RequestSummary): Promise<Response> {
  const origin = new URL(config.remote).origin;
  let current = url;
  let options = init;
  for (let hops = 0; ; hops++) {
    // A fetch that throws instead of rejecting is handled like a rejection.
    const response = await new Promise<Response>((resolve) => resolve(config.fetch(current, options)));
    if (response.type === "opaqueredirect") return config.fetch(current, { ...options, redirect: "follow" });
    const location = REDIRECTS.has(response.status) ? response.headers.get("Location") : null;
    if (location === null) return response;
    void Promise.resolve().then(() => response.arrayBuffer()).catch(() => undefined); // frees the connection
    const target = new URL(location, current);
    if (target.origin !== origin || hops >= MAX_REDIRECTS) {
      const why = hops >= MAX_REDIRECTS ? `more than ${MAX_REDIRECTS} redirects` : `redirect to another origin (${target.origin}) refused`;
      throw new KintoHttpError(response.status, summary, { message: `${why}: credentials are sent only to ${origin}` });
    }
    // As fetch does: 303 (and 301/302 of a POST) become a GET without body.
    const toGet = response.status === 303 ? options.method !== "HEAD" : (response.status === 301 || response.status === 302) && options.method === "POST";
    if (toGet) options = { ...options, method: "GET", body: undefined, headers: withoutContentType(options.headers as Record<string, string>) };
    current = target.href;
  }
}

function withoutContentType(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== "content-type"));
}

function isFormData(body: unknown): boolean {
  return typeof FormData !== "undefined" && body instanceof FormData;
}

/**
 * Merged headers, names compared case-insensitively (a later `authorization` replaces an earlier
 * `Authorization` instead of being sent along with it); a FormData body gets no Content-Type, fetch
 * sets multipart's with its boundary.
 */
function requestHeaders(config: TransportConfig, request: KintoRequest, form: boolean): Record<string, string> {
  const headers: Record<string, string> = {};
  const names = new Map<string, string>();
  for (const source of [DEFAULT_HEADERS, config.headers(), request.headers ?? {}]) {
    for (const [name, value] of Object.entries(source)) {
      const previous = names.get(name.toLowerCase());
      if (previous !== undefined) delete headers[previous];
      names.set(name.toLowerCase(), name);
      headers[name] = value;
    }
  }
  if (form && names.has("content-type")) delete headers[names.get("content-type")!];
  return headers;
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

/** Feeds the notices; a throwing listener is reported apart, it does not fail the request. */
function observeHeaders(config: TransportConfig, headers: Headers): void {
  try {
    config.onHeaders?.(headers);
  } catch (error) {
    setTimeout(() => {
      throw error;
    });
  }
}

async function readResponse(response: Response, request: KintoRequest, summary: RequestSummary): Promise<KintoResponse> {
  const { status, headers } = response;
  const text = request.method === "HEAD" || status === 204 || status === 304 ? "" : await response.text();
  if (status >= 400) {
    throw new KintoHttpError(status, summary, errorBody(text), parseRetryAfter(headers.get("Retry-After")));
  }
  if (text === "") return { status, headers, json: undefined };
  try {
    return { status, headers, json: JSON.parse(text) };
  } catch {
    throw new UnparseableResponseError(status, text, summary);
  }
}

function errorBody(text: string): KintoErrorBody {
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed && typeof parsed === "object" && !Array.isArray(parsed)) {
      const o = parsed as Record<string, unknown>;
      return {
        code: typeof o.code === "number" ? o.code : undefined,
        errno: typeof o.errno === "number" ? o.errno : undefined,
        error: typeof o.error === "string" ? o.error : undefined,
        message: typeof o.message === "string" ? o.message : undefined,
        details: o.details,
        info: typeof o.info === "string" ? o.info : undefined,
      };
    }
  } catch {
    // An HTML page from a proxy, or nothing: the status alone says what happened.
  }
  return {};
}

function toKintoError(error: unknown, request: KintoRequest, summary: RequestSummary, answered: boolean, secrets: string[]): Error {
  if (error instanceof KintoHttpError || error instanceof UnparseableResponseError) return error;
  // Keep only the message, with any user:password@ of a URL and any header value cut out.
  let reason = (error instanceof Error ? error.message : String(error)).replace(/\/\/[^/@\s]*@/g, "//");
  // Node's "fetch failed" says why only in its cause's code (ECONNREFUSED, ECONNRESET...).
  const code = (error as { cause?: { code?: unknown } } | null)?.cause?.code;
  if (typeof code === "string" && /^[A-Z_]+$/.test(code)) reason += ` (${code})`;
  for (const secret of secrets) if (secret.trim().length >= 4) reason = reason.split(secret.trim()).join("[redacted]");
  // A write that is not safe to repeat and whose answer never arrived may have been applied.
  if (!isIdempotent(request) && request.method !== "GET") return new OutcomeUnknownError(summary, reason);
  return new NetworkError(summary, answered ? `response interrupted (${reason})` : reason);
}
