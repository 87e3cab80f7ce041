/**
 * What resources need from their client: a way to execute a request under resolved options.
 * Buckets and collections receive it; they never see fetch or the transport.
 */
import type { Observable } from "rxjs";
import type { Capability } from "../http/errors";
import type { Notices } from "../http/notices";
import type { KintoRequest } from "../http/request";
import type { RetryPolicy } from "../http/retry";
import type { KintoResponse } from "../http/transport";
import type { ServerCapabilities, ServerSettings } from "./codecs";
import type { Resolved } from "./options";

/** Per-execution switches that are not user options. */
export interface ExecuteFlags {
  /** Wait until the server's Backoff release time before sending (feeds and uploads). */
  readonly waitBackoff?: boolean;
  /**
   * Called when the request fails after an earlier attempt whose outcome is unknown (connection
   * dropped, timeout, unreadable answer, 5xx without Retry-After): that attempt may have been
   * applied. Returns the response standing for its success (a retried DELETE that finds 404), or
   * `undefined` to fail with `error`.
   */
  readonly settleRetried?: (error: unknown) => KintoResponse | undefined;
  /**
   * The server capability (plugin) the request needs: a 404 is then checked against the shared
   * server info, and becomes a `MissingCapabilityError` when the server does not list it.
   */
  readonly capability?: Capability;
}

/** The client as its resources see it. */
export interface Executor {
  /** Sends `request` with the resolved options (headers, retry, timeout). Cold. */
  execute(request: KintoRequest, options: Resolved, flags?: ExecuteFlags): Observable<KintoResponse>;
  /** The server's settings, fetched once per client. */
  fetchServerSettings(): Observable<ServerSettings>;
  /** The server's capabilities, fetched once per client (optional: a stand-in may have none). */
  fetchServerCapabilities?(): Observable<ServerCapabilities>;
  /**
   * The chunks of a file outside the API (an attachment's location), sent without the client's
   * headers (optional: a stand-in may have none).
   */
  download?(url: string, timeout?: number | null): Observable<Uint8Array>;
  /** The client's notices (Backoff...). */
  readonly notices: Notices;
  /** The remote root (with version), used to resolve `Next-Page` URLs. */
  readonly remote: string;
  /** The client's retry policy (delays, caps, shared budget) for `count` retries. */
  retryPolicyFor(count: number): RetryPolicy;
}
