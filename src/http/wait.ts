/**
 * Waits that never overflow a timer: Node and browsers fire a `setTimeout` longer than 2^31-1 ms
 * (24.8 days) after 1 ms instead (Node warns `TimeoutOverflowWarning`), so a server's
 * `Backoff: 1000000000` would become no wait at all.
 */
import { timer, switchMap, type Observable, type SchedulerLike } from "rxjs";
import type { RequestSummary } from "./errors";

/** The longest delay one timer can hold, in ms. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Emits `0` once after `ms` milliseconds, then completes, whatever `ms` is: a delay above
 * {@link MAX_TIMER_MS} runs as a chain of timers. `ms` that is not a number above 0 waits 0.
 * @param ms the delay
 * @param scheduler the timers' scheduler (tests)
 */
export function waitFor(ms: number, scheduler?: SchedulerLike): Observable<0> {
  const delay = ms > 0 ? ms : 0;
  return delay <= MAX_TIMER_MS
    ? timer(delay, scheduler)
    : timer(MAX_TIMER_MS, scheduler).pipe(switchMap(() => waitFor(delay - MAX_TIMER_MS, scheduler)));
}

/** What a client is waiting for before it sends a request (`client.waiting$`). */
export interface Wait {
  /** `backoff`: the server's Backoff is in force; `retry`: the delay before retrying a failed attempt. */
  readonly reason: "backoff" | "retry";
  /** How long, in ms. */
  readonly ms: number;
  /** When the wait ends, in ms since epoch. */
  readonly until: number;
  /** The request that waits (method and path), when known. */
  readonly request?: RequestSummary;
  /** For a retry: the error of the failed attempt. */
  readonly error?: unknown;
}
