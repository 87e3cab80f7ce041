/**
 * A retry budget shared by every request of a client (in the spirit of the AWS SDKs' retry quota):
 * a token bucket that each retry draws from and each success refills a little. When a server or
 * network fails for everyone at once, the retries of all subscriptions together are bounded by the
 * bucket, instead of multiplying the load by `retry + 1`.
 *
 * ```
 * capacity 500, retry cost 5, timeout cost 10, refund 1 per success
 * 50 parallel GETs, all answered 503, retry 10   →   at most 500 / 5 = 100 retries in all
 * ```
 */
import { NetworkTimeoutError } from "./errors";

/** Settings of a {@link RetryBudget}. */
export interface RetryBudgetOptions {
  /** Tokens in a full bucket, and at start (default 500). */
  readonly capacity?: number;
  /** Tokens taken by a retry (default 5). */
  readonly retryCost?: number;
  /** Tokens taken by the retry of a timed-out attempt (default 10): timeouts hint at overload. */
  readonly timeoutCost?: number;
  /** Tokens given back by each successful response, up to `capacity` (default 1). */
  readonly refund?: number;
}

/** Defaults of {@link RetryBudgetOptions}. */
export const DEFAULT_RETRY_BUDGET: Required<RetryBudgetOptions> = { capacity: 500, retryCost: 5, timeoutCost: 10, refund: 1 };

/**
 * A token bucket of retries. `KintoClient` creates one (option `retryBudget`) and asks it before
 * every retry of every request; a refused retry fails with the error of the last attempt.
 * @example
 * const client = new KintoClient(url, { retry: 5, retryBudget: { capacity: 100 } });
 */
export class RetryBudget {
  private readonly settings: Required<RetryBudgetOptions>;
  private tokens: number;

  /** @param options capacity, costs and refund (see {@link DEFAULT_RETRY_BUDGET}) */
  constructor(options: RetryBudgetOptions = {}) {
    this.settings = { ...DEFAULT_RETRY_BUDGET, ...options };
    this.tokens = this.settings.capacity;
  }

  /** Tokens left. */
  get available(): number {
    return this.tokens;
  }

  /**
   * Takes the cost of one retry after `error`; returns `false` (and takes nothing) when the
   * bucket holds less than that.
   */
  acquire(error: unknown): boolean {
    const cost = error instanceof NetworkTimeoutError ? this.settings.timeoutCost : this.settings.retryCost;
    if (this.tokens < cost) return false;
    this.tokens -= cost;
    return true;
  }

  /** Gives back `refund` tokens after a successful response, up to the capacity. */
  release(): void {
    this.tokens = Math.min(this.settings.capacity, this.tokens + this.settings.refund);
  }
}
