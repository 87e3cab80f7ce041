/**
 * Where an operation runs: the client's services, the handler its requests go to (the client's
 * chain, or a batch's recorder), and the inherited option levels. Streams and resources receive a
 * scope; they never see fetch or the transport.
 */
import type { Observable, SchedulerLike } from "rxjs";
import { CAPABILITY, RETRY, SETTLE_RETRIED, TIMEOUT, WAIT_BACKOFF, type KintoHandler } from "../http/chain";
import { RequestContext, type ContextToken } from "../http/context";
import type { Capability } from "../http/errors";
import type { Notices } from "../http/notices";
import type { KintoRequest } from "../http/request";
import type { RetryPolicy } from "../http/retry";
import type { KintoResponse } from "../http/transport";
import type { ServerCapabilities, ServerSettings } from "./codecs";
import type { Resolved, ResourceOptions } from "./options";

/** Per-request switches that are not user options; each becomes a value of the request's context. */
export interface ExecuteFlags {
  /** Wait until the server's Backoff release time before sending (feeds and uploads). */
  readonly waitBackoff?: boolean;
  /** See {@link SETTLE_RETRIED}. */
  readonly settleRetried?: (error: unknown) => KintoResponse | undefined;
  /** See {@link CAPABILITY}. */
  readonly capability?: Capability;
}

/** What operations need from their client, besides sending. */
export interface Executor {
  /** The client's chain: where its requests go. */
  readonly handler: KintoHandler;
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
  /** The client's retry policy (delays, caps, shared budget, announced waits) for `count` retries. */
  retryPolicyFor(count: number): RetryPolicy;
  /** The scheduler of the client's timers, when one was given (tests). */
  readonly scheduler?: SchedulerLike;
}

/** Where an operation runs. */
export interface Scope {
  /** The client. */
  readonly executor: Executor;
  /** Where this scope's requests go: the client's chain, or a batch's recorder. */
  readonly handler: KintoHandler;
  /** Inherited option levels (client, bucket, collection), nearest last. */
  readonly levels: readonly (ResourceOptions | undefined)[];
}

/** The scope of a client's own operations. */
export function clientScope(executor: Executor, options: ResourceOptions): Scope {
  return { executor, handler: executor.handler, levels: [options] };
}

/** `scope` one level down (a bucket, a collection). */
export function childScope(scope: Scope, options: ResourceOptions | undefined): Scope {
  return { executor: scope.executor, handler: scope.handler, levels: [...scope.levels, options] };
}

/**
 * Sends `request` through `scope`'s handler, with the resolved `retry` and `timeout` and the
 * `flags` as values of its context. Cold.
 */
export function execute(
  scope: Pick<Scope, "handler">,
  request: KintoRequest,
  options: Pick<Resolved, "retry" | "timeout">,
  flags?: ExecuteFlags,
): Observable<KintoResponse> {
  return scope.handler(withContext(request, options, flags));
}

/** `request` with the context values of `options` and `flags` (none for a plain request: no allocation). */
export function withContext(request: KintoRequest, options: Pick<Resolved, "retry" | "timeout">, flags?: ExecuteFlags): KintoRequest {
  let context = request.context;
  const set = <T>(token: ContextToken<T>, value: T) => {
    context = (context ?? RequestContext.empty).set(token, value);
  };
  if (options.retry > 0) set(RETRY, options.retry);
  if (options.timeout !== null && options.timeout !== undefined) set(TIMEOUT, options.timeout);
  if (flags?.waitBackoff) set(WAIT_BACKOFF, true);
  if (flags?.settleRetried) set(SETTLE_RETRIED, flags.settleRetried);
  if (flags?.capability !== undefined) set(CAPABILITY, flags.capability);
  return context === request.context ? request : { ...request, context };
}
