/**
 * The request chain: every request of a client goes through the same links, folded once per client
 * around its backend (the transport), in the spirit of Angular's `HttpHandler` / `HttpInterceptorFn`.
 *
 * ```
 * capability → settle → retry (budget) → backoff → your interceptors → notices → timeout → transport
 * ```
 *
 * A link reads what it needs from the request's {@link RequestContext} and, when it has nothing to
 * do for this request, hands it to `next` as it is: a plain read pays one function call per link.
 */
import { catchError, defer, of, switchMap, tap, throwError, timeout, type Observable, type SchedulerLike } from "rxjs";
import type { RetryBudget } from "./budget";
import { ContextToken, RequestContext } from "./context";
import { KintoHttpError, NetworkTimeoutError, responseHeadersOf, type Capability, type RequestSummary } from "./errors";
import type { Notices } from "./notices";
import { isIdempotent, pathAndQuery, type KintoRequest } from "./request";
import { retryTransient, type RetryPolicy } from "./retry";
import type { HeadersLike, KintoResponse } from "./transport";

/** Sends one request: emits its response once and completes, or errors. Cold. */
export type KintoHandler = (request: KintoRequest) => Observable<KintoResponse>;

/**
 * A link of the chain: does its part and hands the request (the same, or a changed copy) to `next`,
 * any number of times (a replay after refreshing a token), or answers it itself.
 * @example
 * const logging: KintoInterceptor = (request, next) => {
 *   const start = Date.now();
 *   return next(request).pipe(tap({ next: (r) => console.log(request.method, request.path, r.status, Date.now() - start) }));
 * };
 */
export type KintoInterceptor = (request: KintoRequest, next: KintoHandler) => Observable<KintoResponse>;

/** Retries of transient failures for this request (the `retry` option): default 0. */
export const RETRY = new ContextToken<number>("retry", () => 0);
/** Timeout of each attempt in ms (the `timeout` option): default none. */
export const TIMEOUT = new ContextToken<number | null>("timeout", () => null);
/** Wait until the server's Backoff is over before each attempt (feeds, uploads, batches of an upload). */
export const WAIT_BACKOFF = new ContextToken<boolean>("waitBackoff", () => false);
/**
 * Called when the request fails after an attempt whose outcome is unknown (connection dropped,
 * timeout, unreadable answer, 5xx without Retry-After): that attempt may have been applied. Returns
 * the response standing for its success (a retried DELETE that finds 404), or `undefined` to fail.
 */
export const SETTLE_RETRIED = new ContextToken<((error: unknown) => KintoResponse | undefined) | undefined>(
  "settleRetried",
  () => undefined,
);
/**
 * The server capability (plugin) the request needs: a 404 of an unknown route then becomes a
 * `MissingCapabilityError` when the server does not list it.
 */
export const CAPABILITY = new ContextToken<Capability | undefined>("capability", () => undefined);
/** Told of each failed attempt (set by the settle link for the retry link). */
const ATTEMPT_FAILED = new ContextToken<((error: unknown) => void) | undefined>("attemptFailed", () => undefined);

/** The value of `token` for `request` (its default when the request has no context). */
function valueOf<T>(request: KintoRequest, token: ContextToken<T>): T {
  return request.context === undefined ? token.defaultValue() : request.context.get(token);
}

/** `request` with `token` set in its context. */
export function withValue<T>(request: KintoRequest, token: ContextToken<T>, value: T): KintoRequest {
  return { ...request, context: (request.context ?? RequestContext.empty).set(token, value) };
}

/** The method and path (with query) of `request`, for messages. */
export function summaryOf(request: KintoRequest): RequestSummary {
  return { method: request.method, path: pathAndQuery(request) };
}

/**
 * Folds `links` around `backend`, the first link outermost. A link that throws instead of returning
 * an Observable fails that request (as an error notification), not the caller.
 */
export function chain(links: readonly KintoInterceptor[], backend: KintoHandler): KintoHandler {
  return links.reduceRight<KintoHandler>((next, link) => (request) => link(request, next), backend);
}

/** Wraps a user's interceptor so that a synchronous throw becomes the request's error. */
export function guarded(interceptor: KintoInterceptor): KintoInterceptor {
  return (request, next) => defer(() => interceptor(request, next));
}

/** What the built-in links need from their client. */
export interface ChainServices {
  /** The client's notices (Backoff, Alert, Retry-After; waits announced on `waiting$`). */
  readonly notices: Notices;
  /** The retry policy for `count` retries (delays, caps, the budget's `acquire`, announced waits). */
  readonly retryPolicyFor: (count: number) => RetryPolicy;
  /** The budget refilled by each success, if any. */
  readonly budget?: RetryBudget;
  /** Turns a 404 of a request that needs `capability` into the right error. */
  readonly capabilityError: (error: unknown, capability: Capability) => Observable<never>;
  /** The timers' scheduler (tests). */
  readonly scheduler?: SchedulerLike;
}

/**
 * The client's chain: the built-in links with the user's `interceptors` between the Backoff wait
 * and the notices, around `backend`. User interceptors see each attempt (as Angular's do under
 * `retry`), after the Backoff wait, and their requests' answers feed the notices.
 */
export function clientChain(services: ChainServices, interceptors: readonly KintoInterceptor[], backend: KintoHandler): KintoHandler {
  return chain(
    [
      capabilityLink(services.capabilityError),
      settleLink(),
      retryLink(services.retryPolicyFor, services.budget),
      backoffLink(services.notices, services.scheduler),
      ...interceptors.map(guarded),
      noticesLink(services.notices),
      timeoutLink(services.scheduler),
    ],
    backend,
  );
}

/** A 404 of a request that needs a capability is checked against the server info. */
export function capabilityLink(capabilityError: ChainServices["capabilityError"]): KintoInterceptor {
  return (request, next) => {
    const capability = valueOf(request, CAPABILITY);
    return capability === undefined
      ? next(request)
      : next(request).pipe(catchError((error: unknown) => capabilityError(error, capability)));
  };
}

/**
 * A request with {@link SETTLE_RETRIED}: when it fails after an attempt that may have been applied,
 * the settle function decides whether that attempt's success stands (a retried PUT's 412 on the
 * same record, a retried DELETE's 404).
 */
export function settleLink(): KintoInterceptor {
  return (request, next) => {
    const settle = valueOf(request, SETTLE_RETRIED);
    if (settle === undefined) return next(request);
    return defer(() => {
      let uncertain = false;
      const watched = withValue(request, ATTEMPT_FAILED, (error: unknown) => {
        uncertain ||= mayHaveBeenApplied(error);
      });
      return next(watched).pipe(
        catchError((error: unknown) => {
          const settled = uncertain ? settle(error) : undefined;
          return settled ? of(settled) : throwError(() => error);
        }),
      );
    });
  };
}

/** Retries transient failures as {@link RETRY} says, drawing from the budget; each success refills it. */
export function retryLink(policyFor: (count: number) => RetryPolicy, budget?: RetryBudget): KintoInterceptor {
  return (request, next) => {
    const count = valueOf(request, RETRY);
    const failed = valueOf(request, ATTEMPT_FAILED);
    let attempt = next(request);
    if (failed !== undefined) attempt = attempt.pipe(tap({ error: failed }));
    const sent =
      count <= 0 ? attempt : attempt.pipe(retryTransient<KintoResponse>({ ...policyFor(count), idempotent: isIdempotent(request) }));
    return budget ? sent.pipe(tap(() => budget.release())) : sent;
  };
}

/** A request with {@link WAIT_BACKOFF} waits for the server's Backoff, announced on `waiting$`. */
export function backoffLink(notices: Notices, scheduler?: SchedulerLike): KintoInterceptor {
  return (request, next) => {
    if (!valueOf(request, WAIT_BACKOFF)) return next(request);
    return defer(() => {
      const wait = notices.backoffRemaining();
      if (wait <= 0) return next(request);
      return notices
        .wait("backoff", wait, { method: request.method, path: request.path }, undefined, scheduler)
        .pipe(switchMap(() => next(request)));
    });
  };
}

/** Every answer's headers, errors included, feed the notices (Backoff, Alert, Retry-After). */
export function noticesLink(notices: Notices): KintoInterceptor {
  const observe = (headers: HeadersLike | undefined): void => {
    if (headers === undefined) return;
    try {
      notices.observe(headers);
    } catch (error) {
      // A throwing listener is reported apart: it does not fail the request.
      setTimeout(() => {
        throw error;
      });
    }
  };
  return (request, next) =>
    next(request).pipe(
      tap({ next: (response) => observe(response.headers), error: (error: unknown) => observe(responseHeadersOf(error)) }),
    );
}

/** Each attempt of a request with a {@link TIMEOUT} is aborted after it, with a {@link NetworkTimeoutError}. */
export function timeoutLink(scheduler?: SchedulerLike): KintoInterceptor {
  return (request, next) => {
    const ms = valueOf(request, TIMEOUT);
    if (ms === null || !(ms > 0)) return next(request);
    return next(request).pipe(
      timeout({
        first: ms,
        with: () => throwError(() => new NetworkTimeoutError(ms, summaryOf(request))),
        ...(scheduler ? { scheduler } : {}),
      }),
    );
  };
}

/**
 * Whether a failed attempt may have been applied by the server: everything but an HTTP error the
 * server answered before doing anything (a 4xx, or a 409/429/5xx with Retry-After).
 */
function mayHaveBeenApplied(error: unknown): boolean {
  if (!(error instanceof KintoHttpError)) return true;
  return error.status >= 500 && error.retryAfterMs === undefined;
}
