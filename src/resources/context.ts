/**
 * What resources need from their client: a way to execute a request under resolved options.
 * Buckets and collections receive it; they never see fetch or the transport.
 */
import type { Observable } from "rxjs";
import type { Notices } from "../http/notices";
import type { KintoRequest } from "../http/request";
import type { KintoResponse } from "../http/transport";
import type { ServerSettings } from "./codecs";
import type { Resolved } from "./options";

/** Per-execution switches that are not user options. */
export interface ExecuteFlags {
  /** Wait until the server's Backoff release time before sending (feeds and uploads). */
  readonly waitBackoff?: boolean;
}

/** The client as its resources see it. */
export interface Executor {
  /** Sends `request` with the resolved options (headers, retry, timeout). Cold. */
  execute(request: KintoRequest, options: Resolved, flags?: ExecuteFlags): Observable<KintoResponse>;
  /** The server's settings, fetched once per client. */
  fetchServerSettings(): Observable<ServerSettings>;
  /** The client's notices (Backoff...). */
  readonly notices: Notices;
  /** The remote root (with version), used to resolve `Next-Page` URLs. */
  readonly remote: string;
}
