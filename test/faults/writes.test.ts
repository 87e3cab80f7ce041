/**
 * Writes are retried only where it is safe: PUT and DELETE of an id, creates with a client id and
 * `If-None-Match: *`. A POST without an id whose answer was lost is never resent. A retried write
 * that finds the work already done (a DELETE answered 404, a create answered 412 with the very
 * record it sent) counts as done.
 */
import { lastValueFrom } from "rxjs";
import { KintoHttpError, OutcomeUnknownError, type KintoClient } from "../../src";
import { kintoUrl, raw, uniqueName } from "../helpers";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, rawAll, SEEDS, until } from "./support";

const BUCKET = uniqueName("writes");
const records = (cid: string) => `/buckets/${BUCKET}/collections/${cid}/records`;
const isWrite = (r: { method: string }) => r.method !== "GET";
const writesTo = (proxy: FaultProxy, method: string) => proxy.stats.log.filter((e) => e.method === method);

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBeLessThan(300);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

async function collection(cid: string): Promise<void> {
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
}

describe.each(SEEDS)("PUT and DELETE of ids, 30%% of writes faulted (seed %i)", (seed) => {
  let proxy: FaultProxy;
  beforeEach(async () => {
    proxy = await proxyFor(kintoUrl(), {
      seed,
      rate: 0.3,
      faults: ["reset-before", "reset-after", "truncate", "503"],
      retryAfter: "0",
      filter: isWrite,
    });
  });
  afterEach(() => proxy.close());

  it("every call succeeds once retried, and the server holds exactly what was written", async () => {
    const cid = `seed-${seed}`;
    await collection(cid);
    const posts = proxiedClient(proxy, { retry: 10, safe: true, retryPolicy: { baseDelay: 5 } })
      .bucket(BUCKET)
      .collection(cid);
    const created = [];
    for (let i = 0; i < 20; i++) created.push((await lastValueFrom(posts.createRecord({ id: `r${i}`, n: i }))).data);
    const updated = [];
    for (const record of created.slice(0, 10)) updated.push((await lastValueFrom(posts.updateRecord({ ...record, updated: true }))).data);
    const deleted = [];
    for (const record of created.slice(10)) deleted.push((await lastValueFrom(posts.deleteRecord(record))).data);

    expect(created.map((r) => r.id)).toEqual([...Array(20).keys()].map((i) => `r${i}`));
    expect(deleted.map((t) => [t.id, t.deleted])).toEqual(created.slice(10).map((r) => [r.id, true]));
    const server = await rawAll(kintoUrl(), `${records(cid)}?_sort=n`);
    expect(server).toEqual(updated);
    expect(server.map((r) => [r.id, r.n, r.updated])).toEqual([...Array(10).keys()].map((i) => [`r${i}`, i, true]));
    const faulted = proxy.stats.requests - proxy.stats.faults.none;
    expect(faulted).toBeGreaterThan(0);
    expect(proxy.stats.log.filter(isWrite)).toHaveLength(40 + faulted); // one more attempt per fault
  });
});

describe("writes whose answer was lost", () => {
  let proxy: FaultProxy;
  let client: KintoClient;
  beforeEach(async () => {
    proxy = await proxyFor(kintoUrl(), { retryAfter: "0", filter: isWrite });
    client = proxiedClient(proxy, { retry: 5, retryPolicy: { baseDelay: 5 } });
  });
  afterEach(() => proxy.close());

  it("a POST without id facing reset-after is not resent: OutcomeUnknownError, one record on the server", async () => {
    await collection("post");
    proxy.next("reset-after");
    const error = await lastValueFrom(client.bucket(BUCKET).collection("post").createRecord({ title: "once" })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(OutcomeUnknownError);
    expect(writesTo(proxy, "POST")).toHaveLength(1);
    expect(proxy.stats.forwarded).toBe(1);
    const server = await rawAll(kintoUrl(), records("post"));
    expect(server.map((r) => r.title)).toEqual(["once"]);
  });

  it("a retried DELETE that finds 404 counts as done (tombstone with last_modified 0)", async () => {
    await collection("delete");
    await raw("PUT", `${records("delete")}/gone`, { data: {} });
    proxy.next("reset-after");
    const result = await lastValueFrom(client.bucket(BUCKET).collection("delete").deleteRecord("gone"));
    expect(result.data).toEqual({ id: "gone", last_modified: 0, deleted: true });
    expect(writesTo(proxy, "DELETE").map((e) => e.fault)).toEqual(["reset-after", "none"]);
    expect(proxy.stats.forwarded).toBe(2);
    expect((await raw("GET", `${records("delete")}/gone`)).status).toBe(404);
  });

  it("a DELETE that finds 404 without a lost answer before it still fails with 404", async () => {
    await collection("missing");
    // The 503 with Retry-After says the server did nothing: the 404 that follows is the truth.
    proxy.next("503");
    const error = await lastValueFrom(client.bucket(BUCKET).collection("missing").deleteRecord("never")).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect((error as KintoHttpError).status).toBe(404);
    expect(writesTo(proxy, "DELETE")).toHaveLength(2);
  });

  it("a create with an id and If-None-Match: * is retried; a 412 holding what it sent counts as created", async () => {
    await collection("create");
    proxy.next("reset-after");
    const posts = client.bucket(BUCKET).collection("create");
    const result = await lastValueFrom(posts.createRecord({ id: "mine", title: "x" }, { safe: true }));
    expect(result.data).toMatchObject({ id: "mine", title: "x" });
    expect(writesTo(proxy, "PUT").map((e) => e.fault)).toEqual(["reset-after", "none"]);
    expect(await rawAll(kintoUrl(), records("create"))).toEqual([result.data]);
  });

  it("a retried create that finds someone else's record fails with the 412", async () => {
    await collection("race");
    proxy.next("reset-before");
    const slow = proxiedClient(proxy, { retry: 1, retryPolicy: { baseDelay: 2000, random: () => 0.99 } });
    const pending = lastValueFrom(slow.bucket(BUCKET).collection("race").createRecord({ id: "r", by: "client" }, { safe: true })).catch(
      (e: unknown) => e,
    );
    await until(() => proxy.stats.requests === 1, "the first attempt");
    const theirs = (await raw("PUT", `${records("race")}/r`, { data: { by: "someone else" } })).json.data;
    const error = await pending;
    expect(error).toBeInstanceOf(KintoHttpError);
    expect((error as KintoHttpError).status).toBe(412);
    expect((error as KintoHttpError).existing).toEqual(theirs);
    expect(await rawAll(kintoUrl(), records("race"))).toEqual([theirs]);
  });
});
