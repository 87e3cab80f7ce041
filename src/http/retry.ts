/**
 * Retry of transient failures, built on RxJS's `retry({count, delay})`.
 *
 * ```
 * source:  --#              (503, Retry-After: 2)
 * result:  --(2s)--#        re-subscribed after 2 s, at most `count` times
 * ```
 */
import { retry, throwError, type MonoTypeOperatorFunction, type Observable, type SchedulerLike } from "rxjs";
import {
  KintoHttpError,
  NetworkError,
  NetworkTimeoutError,
  OutcomeUnknownError,
  RetryAfterTooLongError,
  UnparseableResponseError,
} from "./errors";
import { waitFor } from "./wait";

/** How transient failures are retried. Every field has a default in {@link DEFAULT_RETRY}. */
export interface RetryPolicy {
  /** Maximum number of retries (the `retry` option). */
  readonly count: number;
  /** First exponential delay in ms, used when the server gave no valid Retry-After. */
  readonly baseDelay: number;
  /** Cap of the exponential delay in ms. */
  readonly maxDelay: number;
  /** Longest Retry-After honoured, in ms; a longer one fails with {@link RetryAfterTooLongError}. */
  readonly maxRetryAfter: number;
  /** Random source in [0, 1) for jitter (injectable for tests). */
  readonly random: () => number;
  /** Asked before each retry; `false` refuses it (the client's shared retry budget). */
  readonly acquire?: (error: unknown) => boolean;
  /**
   * The wait before a retry (a timer that never overflows); default {@link waitFor}. The client's
   * announces it on `client.waiting$`.
   */
  readonly wait?: (ms: number, error: unknown, scheduler?: SchedulerLike) => Observable<unknown>;
}

/** Defaults: no retry, 200 ms doubling up to 30 s, Retry-After honoured up to 2 minutes. */
export const DEFAULT_RETRY: RetryPolicy = {
  count: 0,
  baseDelay: 200,
  maxDelay: 30_000,
  maxRetryAfter: 120_000,
  random: Math.random,
};

/**
 * Whether `error` is worth another attempt.
 * @param error what the attempt failed with
 * @param idempotent whether the request may be sent again without changing its effect
 */
export function isTransient(error: unknown, idempotent: boolean): boolean {
  if (error instanceof KintoHttpError) {
    // The server said "nothing was done, come back later": safe for any method.
    if (error.retryAfterMs !== undefined && (error.status >= 500 || error.status === 409 || error.status === 429)) return true;
    return idempotent && error.status >= 500;
  }
  if (error instanceof OutcomeUnknownError) return false;
  if (error instanceof NetworkError || error instanceof NetworkTimeoutError || error instanceof UnparseableResponseError) {
    return idempotent;
  }
  return false;
}

/**
 * The delay before retry number `attempt` (1-based): Retry-After when the server sent one, else a
 * capped exponential delay with jitter in [d/2, d), never 0.
 */
export function retryDelay(error: unknown, attempt: number, policy: RetryPolicy): number {
  if (error instanceof KintoHttpError && error.retryAfterMs !== undefined) return error.retryAfterMs;
  const exp = Math.min(policy.maxDelay, policy.baseDelay * 2 ** (attempt - 1));
  return Math.max(1, Math.floor(exp / 2 + (policy.random() * exp) / 2));
}

/** A {@link RetryPolicy} with what one use of {@link retryTransient} adds. */
export interface RetryOptions extends RetryPolicy {
  /** Whether the retried requests are safe to repeat (default false: only what the server refused before doing anything). */
  readonly idempotent?: boolean;
  /** Which errors are worth another attempt (default: {@link isTransient}). */
  readonly retryable?: (error: unknown, idempotent: boolean) => boolean;
  /** Shortest delay in ms, Retry-After included (default 0: a `Retry-After: 0` retries at once). */
  readonly minDelay?: number;
  /**
   * When `acquire` refuses a retry: `undefined` fails with the attempt's error (default); a number
   * waits that long and retries anyway (a live feed stays alive, sending nothing meanwhile).
   */
  readonly whenRefused?: number;
  /** Counts only consecutive failures: the attempt number restarts after a value (default false). */
  readonly resetOnSuccess?: boolean;
  /** The timers' scheduler (tests), passed to `wait`. */
  readonly scheduler?: SchedulerLike;
}

/**
 * Retries the source on transient errors, at most `options.count` times: the one retry operator of
 * kinto-rx (requests, uploads, batches, downloads and live feeds).
 * @param options the policy, and what this use adds (see {@link RetryOptions})
 * @example
 * source.pipe(retryTransient({ ...DEFAULT_RETRY, count: 3, idempotent: true }));
 */
export function retryTransient<T>(options: RetryOptions): MonoTypeOperatorFunction<T> {
  const idempotent = options.idempotent ?? false;
  const retryable = options.retryable ?? isTransient;
  const wait = options.wait ?? ((ms: number, _error: unknown, scheduler?: SchedulerLike) => waitFor(ms, scheduler));
  return retry<T>({
    count: options.count,
    resetOnSuccess: options.resetOnSuccess ?? false,
    delay: (error: unknown, attempt: number) => {
      if (!retryable(error, idempotent)) return throwError(() => error);
      const ms = Math.max(options.minDelay ?? 0, retryDelay(error, attempt, options));
      // Only the server's Retry-After is capped; our own exponential delay is bounded by maxDelay.
      if (error instanceof KintoHttpError && error.retryAfterMs !== undefined && error.retryAfterMs > options.maxRetryAfter) {
        return throwError(() => new RetryAfterTooLongError(error.retryAfterMs!, options.maxRetryAfter, error));
      }
      if (options.acquire && !options.acquire(error)) {
        if (options.whenRefused === undefined) return throwError(() => error);
        return wait(options.whenRefused, error, options.scheduler);
      }
      return wait(ms, error, options.scheduler);
    },
  });
}
