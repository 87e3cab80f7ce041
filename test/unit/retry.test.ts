/**
 * The retry operator in virtual time: every resubscription (and so every retry delay) is visible
 * in `toHaveSubscriptions` (rxjs-marbles over the TestScheduler's run mode), 1 frame = 1 ms.
 */
import { defer, throwError } from "rxjs";
import { marbles } from "rxjs-marbles/jest";
import {
  DEFAULT_RETRY,
  KintoHttpError,
  NetworkError,
  NetworkTimeoutError,
  OutcomeUnknownError,
  PayloadValidationError,
  RetryAfterTooLongError,
  UnparseableResponseError,
  isTransient,
  parseRetryAfter,
  retryDelay,
  retryTransient,
  type RetryPolicy,
} from "../../src";

const GET = { method: "GET", path: "/buckets/b" };
const POST = { method: "POST", path: "/buckets/b/collections/c/records" };

/** A server error as the transport builds it from a response: status and raw Retry-After. */
function httpError(status: number, retryAfter?: string | null, now?: number): KintoHttpError {
  return new KintoHttpError(status, GET, { code: status, errno: 201, error: "Service Unavailable" }, parseRetryAfter(retryAfter, now));
}

function policy(count: number, changes: Partial<RetryPolicy> = {}): RetryPolicy {
  return { ...DEFAULT_RETRY, random: () => 0.5, count, ...changes };
}

describe("retryTransient: Retry-After", () => {
  it(
    "resubscribes after the Retry-After delay, at most `count` times, then errors with the last error",
    marbles((m) => {
      const error = httpError(503, "2");
      const source = m.cold("-#", undefined, error);
      m.expect(source.pipe(retryTransient({ ...policy(2), idempotent: true }))).toBeObservable("- 2000ms - 2000ms -#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!", "- 2000ms ^!", "- 2000ms - 2000ms ^!"]);
    }),
  );

  it(
    "emits the value of a later successful attempt and stops retrying",
    marbles((m) => {
      let attempts = 0;
      const error = httpError(503, "1");
      const source = m.cold("-#", undefined, error);
      const ok = m.cold("-(a|)", { a: "ok" });
      const flaky = defer(() => (attempts++ === 0 ? source : ok));
      m.expect(flaky.pipe(retryTransient({ ...policy(5), idempotent: true }))).toBeObservable("- 1000ms -(a|)", { a: "ok" });
      m.expect(source).toHaveSubscriptions(["^!"]);
      m.expect(ok).toHaveSubscriptions(["- 1000ms ^!"]);
    }),
  );

  it(
    "does not retry at all when the count is 0",
    marbles((m) => {
      const error = httpError(503, "2");
      const source = m.cold("-#", undefined, error);
      m.expect(source.pipe(retryTransient({ ...policy(0), idempotent: true }))).toBeObservable("-#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!"]);
    }),
  );

  it(
    "understands an HTTP-date",
    marbles((m) => {
      const now = Date.parse("Wed, 21 Oct 2015 07:27:55 GMT");
      expect(parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now)).toBe(5000);
      expect(parseRetryAfter("Wed, 21 Oct 2015 07:27:00 GMT", now)).toBe(0); // already past
      const error = httpError(503, "Wed, 21 Oct 2015 07:28:00 GMT", now);
      const source = m.cold("-#", undefined, error);
      m.expect(source.pipe(retryTransient({ ...policy(1), idempotent: true }))).toBeObservable("- 5000ms -#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!", "- 5000ms ^!"]);
    }),
  );

  it(
    "fails with RetryAfterTooLongError, carrying the delay, when Retry-After exceeds maxRetryAfter",
    marbles((m) => {
      const error = httpError(503, "600");
      const source = m.cold("-#", undefined, error);
      const expected = new RetryAfterTooLongError(600_000, 120_000, error);
      m.expect(source.pipe(retryTransient({ ...policy(3), idempotent: true }))).toBeObservable("-#", undefined, expected);
      m.expect(source).toHaveSubscriptions(["^!"]);
      const caught: unknown[] = [];
      throwError(() => httpError(429, "600"))
        .pipe(retryTransient({ ...policy(3), idempotent: false }))
        .subscribe({ error: (e: unknown) => caught.push(e) });
      expect(caught[0]).toBeInstanceOf(RetryAfterTooLongError);
      expect(caught[0]).toMatchObject({ delayMs: 600_000, cause: { status: 429, retryAfterMs: 600_000 } });
    }),
  );

  it(
    "caps only the server's Retry-After: an exponential delay longer than maxRetryAfter still retries",
    marbles((m) => {
      const error = httpError(500); // no Retry-After; GET is idempotent
      const source = m.cold("-#", undefined, error);
      const p = policy(1, { maxRetryAfter: 10, baseDelay: 200, random: () => 0 });
      m.expect(source.pipe(retryTransient({ ...p, idempotent: true }))).toBeObservable("- 100ms -#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!", "- 100ms ^!"]);
    }),
  );

  it(
    "stops when the retry budget (`acquire`) refuses",
    marbles((m) => {
      const error = httpError(503, "1");
      const source = m.cold("-#", undefined, error);
      let granted = 1;
      const p = policy(5, { acquire: () => granted-- > 0 });
      m.expect(source.pipe(retryTransient({ ...p, idempotent: true }))).toBeObservable("- 1000ms -#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!", "- 1000ms ^!"]);
    }),
  );
});

describe("retryTransient: idempotency", () => {
  it(
    "never resends a non-idempotent POST whose outcome is unknown (network failure)",
    marbles((m) => {
      const error = new OutcomeUnknownError(POST, "socket hang up");
      const source = m.cold("-#", undefined, error);
      m.expect(source.pipe(retryTransient({ ...policy(3), idempotent: false }))).toBeObservable("-#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!"]);
    }),
  );

  it(
    "retries a POST when the server said Retry-After (nothing was done)",
    marbles((m) => {
      const error = httpError(503, "1");
      const source = m.cold("-#", undefined, error);
      m.expect(source.pipe(retryTransient({ ...policy(1), idempotent: false }))).toBeObservable("- 1000ms -#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!", "- 1000ms ^!"]);
    }),
  );

  it(
    "does not retry a POST on a 503 without Retry-After, nor a 4xx with one",
    marbles((m) => {
      const plain = m.cold("-#", undefined, httpError(503));
      const client = m.cold("-#", undefined, httpError(400, "1"));
      m.expect(plain.pipe(retryTransient({ ...policy(3), idempotent: false }))).toBeObservable("-#", undefined, httpError(503));
      m.expect(client.pipe(retryTransient({ ...policy(3), idempotent: true }))).toBeObservable("-#", undefined, httpError(400, "1"));
      m.expect(plain).toHaveSubscriptions(["^!"]);
      m.expect(client).toHaveSubscriptions(["^!"]);
    }),
  );

  it("classifies errors: what is transient for idempotent and non-idempotent requests", () => {
    const cases: [unknown, boolean, boolean][] = [
      // error, transient when idempotent, transient when not
      [httpError(503, "1"), true, true],
      [httpError(429, "1"), true, true],
      [httpError(409, "1"), true, true],
      [httpError(503), true, false],
      [httpError(404), false, false],
      [httpError(412, "1"), false, false],
      [new NetworkError(GET, "ECONNRESET"), true, false],
      [new NetworkTimeoutError(100, GET), true, false],
      [new UnparseableResponseError(200, "{", GET), true, false],
      [new OutcomeUnknownError(POST, "reset"), false, false],
      [new PayloadValidationError("x", []), false, false],
      [new Error("bug"), false, false],
    ];
    for (const [error, idempotent, nonIdempotent] of cases) {
      expect([isTransient(error, true), isTransient(error, false)]).toEqual([idempotent, nonIdempotent]);
    }
  });
});

describe("retry delays without a valid Retry-After", () => {
  it.each(["soon", "-1", "1.5", "", "Wed, 21 Oct 2015"])("ignores the malformed Retry-After %p", (value) => {
    expect(parseRetryAfter(value)).toBeUndefined();
    expect(httpError(503, value).retryAfterMs).toBeUndefined();
  });

  it("uses an exponential delay with jitter in [d/2, d), never 0", () => {
    const errors = ["soon", "-1", "1.5"].map((value) => httpError(503, value));
    for (const error of errors) {
      for (let attempt = 1; attempt <= 10; attempt++) {
        const d = Math.min(DEFAULT_RETRY.maxDelay, DEFAULT_RETRY.baseDelay * 2 ** (attempt - 1));
        for (const random of [0, 0.25, 0.5, 0.9999999, Math.random()]) {
          const ms = retryDelay(error, attempt, { ...DEFAULT_RETRY, random: () => random });
          expect(ms).toBeGreaterThanOrEqual(d / 2);
          expect(ms).toBeLessThan(d);
        }
      }
    }
    // Even with a 1 ms base delay and a random of 0, the delay is never 0.
    expect(retryDelay(errors[0], 1, { ...DEFAULT_RETRY, baseDelay: 1, random: () => 0 })).toBe(1);
    // A valid Retry-After of 0 is honoured as is.
    expect(retryDelay(httpError(503, "0"), 1, DEFAULT_RETRY)).toBe(0);
  });

  it(
    "doubles the delay at each attempt (visible as resubscription times)",
    marbles((m) => {
      const error = httpError(503, "soon");
      const source = m.cold("-#", undefined, error);
      // random 0 → d/2: 100, 200, 400 ms for a base of 200 ms.
      const p = policy(3, { random: () => 0 });
      m.expect(source.pipe(retryTransient({ ...p, idempotent: true }))).toBeObservable("- 100ms - 200ms - 400ms -#", undefined, error);
      m.expect(source).toHaveSubscriptions(["^!", "- 100ms ^!", "- 100ms - 200ms ^!", "- 100ms - 200ms - 400ms ^!"]);
    }),
  );

  it("is capped by maxDelay", () => {
    const error = httpError(503);
    expect(retryDelay(error, 30, { ...DEFAULT_RETRY, random: () => 0 })).toBe(DEFAULT_RETRY.maxDelay / 2);
  });
});
