/**
 * The client's shared retry budget, end to end: when every request fails at once, the retries of
 * all subscriptions together are bounded by capacity / cost, whatever each call's `retry`.
 */
import { forkJoin, lastValueFrom, catchError, of } from "rxjs";
import { KintoHttpError, RetryBudget, type KintoClient } from "../../src";
import { kintoUrl, raw, uniqueName } from "../helpers";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, SEEDS } from "./support";

const BUCKET = uniqueName("budget");
const RECORDS = `/buckets/${BUCKET}/collections/c/records`;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBeLessThan(300);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/c`)).status).toBe(201);
  expect((await raw("PUT", `${RECORDS}/here`, { data: {} })).status).toBe(201);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

/** 50 GETs at once, each with `retry: 10`; emits each outcome (the record id, or the error). */
function fifty(client: KintoClient) {
  const posts = client.bucket(BUCKET).collection("c");
  const one = () => posts.getRecord("here", { retry: 10 }).pipe(catchError((e: unknown) => of(e)));
  return lastValueFrom(forkJoin(Array.from({ length: 50 }, one)));
}

describe.each(SEEDS)("50 parallel GETs, every request answered 503 (seed %i)", (seed) => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await proxyFor(kintoUrl(), { seed, rate: 1, faults: ["503"], retryAfter: "0" });
  });
  afterEach(() => proxy.close());

  it("the default budget (500 tokens, 5 per retry) allows 100 retries in all", async () => {
    const client = proxiedClient(proxy);
    const outcomes = await fifty(client);
    expect(outcomes.every((o) => o instanceof KintoHttpError && o.status === 503)).toBe(true);
    expect(proxy.stats.requests).toBe(50 + 100);
    expect(client.retryBudget?.available).toBe(0);

    // Successes refill it, one token each.
    proxy.setRate(0);
    await lastValueFrom(client.bucket(BUCKET).collection("c").getRecord("here"));
    expect(client.retryBudget?.available).toBe(1);
  });

  it("a budget shared by two clients bounds both; without a budget each call retries 10 times", async () => {
    const shared = new RetryBudget({ capacity: 100, retryCost: 5 });
    const [a, b] = [proxiedClient(proxy, { retryBudget: shared }), proxiedClient(proxy, { retryBudget: shared })];
    await Promise.all([fifty(a), fifty(b)]);
    expect(proxy.stats.requests).toBe(100 + 20);

    const before = proxy.stats.requests;
    await fifty(proxiedClient(proxy, { retryBudget: false }));
    expect(proxy.stats.requests - before).toBe(50 * 11);
  });
});
