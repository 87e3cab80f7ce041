/** The retry budget as a pure token bucket. */
import { NetworkError, NetworkTimeoutError, RetryBudget } from "../../src";

const request = { method: "GET", path: "/" };

describe("RetryBudget", () => {
  it("takes 5 tokens per retry, 10 per retry of a timeout, and refuses when short", () => {
    const budget = new RetryBudget({ capacity: 22 });
    expect(budget.acquire(new NetworkTimeoutError(100, request))).toBe(true);
    expect(budget.available).toBe(12);
    expect(budget.acquire(new NetworkError(request, "reset"))).toBe(true);
    expect(budget.acquire(new NetworkError(request, "reset"))).toBe(true);
    expect(budget.available).toBe(2);
    expect(budget.acquire(new NetworkError(request, "reset"))).toBe(false);
    expect(budget.available).toBe(2);
  });

  it("gives one token back per success, never beyond capacity", () => {
    const budget = new RetryBudget({ capacity: 6 });
    budget.release();
    expect(budget.available).toBe(6);
    expect(budget.acquire(new Error("x"))).toBe(true);
    budget.release();
    budget.release();
    expect(budget.available).toBe(3);
  });
});
