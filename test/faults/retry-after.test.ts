/**
 * Retry-After end to end, through the fault proxy: a value longer than `maxRetryAfter` fails at
 * once with RetryAfterTooLongError (no day's sleep); a malformed value falls back to the
 * exponential delay (idempotent requests only).
 */
import { lastValueFrom } from "rxjs";
import { KintoHttpError, RetryAfterTooLongError } from "../../src";
import { kintoUrl, raw, uniqueName } from "../helpers";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, rawAll } from "./support";

const BUCKET = uniqueName("retry-after");
const RECORDS = `/buckets/${BUCKET}/collections/c/records`;
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBeLessThan(300);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/c`)).status).toBe(201);
  expect((await raw("PUT", `${RECORDS}/here`, { data: { x: 1 } })).status).toBe(201);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

afterEach(() => proxy?.close());

async function collection(retryAfter: string) {
  proxy = await proxyFor(kintoUrl(), { retryAfter });
  proxy.next("503");
  return {
    proxy,
    records: proxiedClient(proxy, { retry: 3, retryPolicy: { baseDelay: 5 } })
      .bucket(BUCKET)
      .collection("c"),
  };
}

it("Retry-After: 86400 fails with RetryAfterTooLongError carrying delayMs 86400000, without waiting", async () => {
  const { proxy, records } = await collection("86400");
  const error = await lastValueFrom(records.getRecord("here")).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(RetryAfterTooLongError);
  expect((error as RetryAfterTooLongError).delayMs).toBe(86_400_000);
  expect((error as RetryAfterTooLongError).cause).toBeInstanceOf(KintoHttpError);
  expect((error as RetryAfterTooLongError).cause.status).toBe(503);
  expect(proxy.stats.requests).toBe(1);
});

it("Retry-After: soon falls back to the exponential delay: the GET is retried and succeeds", async () => {
  const { proxy, records } = await collection("soon");
  const result = await lastValueFrom(records.getRecord("here"));
  expect(result.data).toEqual((await raw("GET", `${RECORDS}/here`)).json.data);
  expect(proxy.stats.log.map((e) => e.fault)).toEqual(["503", "none"]);
});

it("Retry-After: soon on a POST without id is a plain 503: not retried, nothing written", async () => {
  const { proxy, records } = await collection("soon");
  const error = await lastValueFrom(records.createRecord({ posted: true })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(KintoHttpError);
  expect((error as KintoHttpError).status).toBe(503);
  expect((error as KintoHttpError).retryAfterMs).toBeUndefined();
  expect(proxy.stats.requests).toBe(1);
  expect((await rawAll(kintoUrl(), RECORDS)).filter((r) => r.posted)).toEqual([]);
});

it("Retry-After: 0 on a POST without id is retried (the server did nothing) and writes once", async () => {
  const { proxy, records } = await collection("0");
  const result = await lastValueFrom(records.createRecord({ once: true }));
  expect(proxy.stats.log.map((e) => e.fault)).toEqual(["503", "none"]);
  expect((await rawAll(kintoUrl(), RECORDS)).filter((r) => r.once)).toEqual([result.data]);
});
