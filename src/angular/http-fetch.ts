/**
 * A fetch that sends through Angular's `HttpClient`, so that Angular sees every request of the
 * client: the app's interceptors, `HttpTestingController`, the pending tasks that SSR and
 * `whenStable()` wait for, and the HTTP transfer cache of hydration.
 */
import { HttpClient, HttpErrorResponse, HttpHeaders, type HttpResponse } from "@angular/common/http";
import type { FetchLike } from "../index.js";

/** Statuses whose response has no body, which `new Response` refuses to be given one. */
const NULL_BODY = new Set([101, 204, 205, 304]);

/**
 * A {@link FetchLike} over `http`: the request is sent by `HttpClient` (its body as a string or a
 * `FormData`, the response read as text), an HTTP error status is answered as a `Response` like
 * fetch does, and aborting the signal unsubscribes (Angular then aborts the request). Redirects
 * are followed by `HttpClient`'s own backend (a browser drops `Authorization` on a redirect to
 * another origin).
 * @param http the application's `HttpClient`
 * @example
 * const client = new KintoClient(remote, { fetch: httpClientFetch(inject(HttpClient)) });
 */
export function httpClientFetch(http: HttpClient): FetchLike {
  return (url, init) =>
    new Promise<Response>((resolve, reject) => {
      const signal = init.signal ?? undefined;
      if (signal?.aborted) {
        reject(abortReason(signal));
        return;
      }
      const subscription = http
        .request(init.method ?? "GET", url, {
          body: init.body ?? null,
          headers: new HttpHeaders(init.headers as Record<string, string> | undefined),
          observe: "response",
          responseType: "text",
        })
        .subscribe({
          next: (response: HttpResponse<string>) => resolve(toResponse(response.status, response.headers, response.body)),
          error: (error: unknown) => {
            if (error instanceof HttpErrorResponse && error.status > 0) resolve(toResponse(error.status, error.headers, error.error));
            else reject(new TypeError(error instanceof HttpErrorResponse ? "network error (no response from the server)" : String(error)));
          },
        });
      signal?.addEventListener(
        "abort",
        () => {
          subscription.unsubscribe();
          reject(abortReason(signal));
        },
        { once: true },
      );
    });
}

function toResponse(status: number, headers: HttpHeaders, body: unknown): Response {
  const copied = new Headers();
  for (const name of headers.keys()) for (const value of headers.getAll(name) ?? []) copied.append(name, value);
  const text = NULL_BODY.has(status) || body == null ? null : typeof body === "string" ? body : JSON.stringify(body);
  return new Response(text, { status, headers: copied });
}

function abortReason(signal: AbortSignal): unknown {
  return signal.reason ?? new DOMException("The request was aborted.", "AbortError");
}
