/**
 * Timeouts through the fault proxy: a request that hangs ("delay") is aborted at `timeout`, the
 * proxy sees the client close its connection, and nothing stays open (run with --detectOpenHandles).
 */
import { lastValueFrom } from "rxjs";
import { NetworkTimeoutError } from "../../src";
import { kintoUrl, raw, uniqueName } from "../helpers";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, rawAll, until } from "./support";

const BUCKET = uniqueName("timeouts");
const RECORDS = `/buckets/${BUCKET}/collections/c/records`;

let proxy: FaultProxy;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBeLessThan(300);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/c`)).status).toBe(201);
  expect((await raw("PUT", `${RECORDS}/here`, { data: { x: 1 } })).status).toBe(201);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

beforeEach(async () => {
  proxy = await proxyFor(kintoUrl(), { delayMs: 5000 });
});

afterEach(() => proxy.close());

const records = () => proxiedClient(proxy, { timeout: 200 }).bucket(BUCKET).collection("c");

it("a hanging request is aborted at `timeout`: NetworkTimeoutError, the proxy sees the client close", async () => {
  proxy.next("delay");
  const error = await lastValueFrom(records().getRecord("here")).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NetworkTimeoutError);
  expect((error as NetworkTimeoutError).timeout).toBe(200);
  await until(() => proxy.stats.clientAborts === 1, "the proxy to see the client close");
  expect(proxy.stats.forwarded).toBe(0);
});

it("a timed-out GET is retried and the retry succeeds", async () => {
  proxy.next("delay");
  const client = proxiedClient(proxy, { timeout: 200, retry: 1, retryPolicy: { baseDelay: 5 } });
  const result = await lastValueFrom(client.bucket(BUCKET).collection("c").getRecord("here"));
  expect(result.data).toEqual((await raw("GET", `${RECORDS}/here`)).json.data);
  await until(() => proxy.stats.clientAborts === 1, "the proxy to see the first attempt close");
  expect(proxy.stats.requests).toBe(2);
  expect(proxy.stats.forwarded).toBe(1);
});

it("a timed-out POST without id is not resent, and the server holds nothing", async () => {
  proxy.next("delay");
  const client = proxiedClient(proxy, { timeout: 200, retry: 3, retryPolicy: { baseDelay: 5 } });
  const error = await lastValueFrom(client.bucket(BUCKET).collection("c").createRecord({ posted: true })).catch((e: unknown) => e);
  expect(error).toBeInstanceOf(NetworkTimeoutError);
  await until(() => proxy.stats.clientAborts === 1, "the proxy to see the client close");
  expect(proxy.stats.requests).toBe(1);
  expect((await rawAll(kintoUrl(), RECORDS)).filter((r) => r.posted)).toEqual([]);
});
