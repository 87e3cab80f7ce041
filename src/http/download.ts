/**
 * The download link: the bytes of a URL outside the API (an attachment's `location`, often on a
 * CDN), as a cold Observable of chunks. None of the client's headers is sent: the file server may
 * be another origin, and must never see the client's credentials. Unsubscribing aborts the fetch.
 */
import { Observable } from "rxjs";
import { KintoHttpError, NetworkError, NetworkTimeoutError, type RequestSummary } from "./errors";
import type { FetchInit, FetchLike } from "./transport";

/** What an error says about a download: the URL without user info, query or fragment (signed URLs carry tokens). */
export function downloadSummary(url: string): RequestSummary {
  try {
    const parsed = new URL(url);
    return { method: "GET", path: `${parsed.origin}${parsed.pathname}` };
  } catch {
    return { method: "GET", path: "(invalid URL)" };
  }
}

/**
 * GET `url` with `fetch`, emitting the body's chunks as they arrive. An HTTP error status is a
 * {@link KintoHttpError}, a failed connection a {@link NetworkError}, no answer within `timeout`
 * ms (the whole download) a {@link NetworkTimeoutError}.
 * @param fetch the client's fetch
 * @param url absolute http(s) URL
 * @param timeout ms for the whole download (none when null or undefined)
 */
export function downloadChunks(fetch: FetchLike, url: string, timeout?: number | null): Observable<Uint8Array> {
  return new Observable<Uint8Array>((subscriber) => {
    const summary = downloadSummary(url);
    const controller = new AbortController();
    let done = false;
    const timer =
      timeout != null && timeout > 0
        ? setTimeout(() => {
            controller.abort();
            subscriber.error(new NetworkTimeoutError(timeout, summary));
          }, timeout)
        : undefined;
    const run = async () => {
      let response: Response;
      try {
        // The client's fetch, typed by what the JSON transport needs; a download reads more of it
        // (its stream), which every fetch that the transport accepts has.
        const init = { method: "GET", headers: {}, signal: controller.signal, redirect: "follow" as const, credentials: "omit" };
        response = (await fetch(url, init as FetchInit)) as unknown as Response;
      } catch (error) {
        throw new NetworkError(summary, error instanceof Error ? error.message.replace(/\/\/[^/@\s]*@/g, "//") : String(error));
      }
      if (!response.ok) {
        void response.arrayBuffer().catch(() => undefined);
        throw new KintoHttpError(response.status, summary, { error: response.statusText || undefined });
      }
      const reader = response.body?.getReader();
      if (!reader) {
        subscriber.next(new Uint8Array(await response.arrayBuffer()));
        return;
      }
      for (;;) {
        let chunk: ReadableStreamReadResult<Uint8Array>;
        try {
          chunk = await reader.read();
        } catch (error) {
          throw new NetworkError(summary, `response interrupted (${error instanceof Error ? error.message : String(error)})`);
        }
        if (chunk.done || subscriber.closed) return;
        subscriber.next(chunk.value);
      }
    };
    run().then(
      () => {
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        subscriber.complete();
      },
      (error: unknown) => {
        done = true;
        if (timer !== undefined) clearTimeout(timer);
        if (!controller.signal.aborted) subscriber.error(error);
      },
    );
    return () => {
      if (timer !== undefined) clearTimeout(timer);
      if (!done) controller.abort();
    };
  });
}
