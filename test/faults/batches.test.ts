/**
 * Batches through the fault proxy: a 409 with Retry-After on the whole `/batch` is retried (any
 * method: the server did nothing); 4xx answers inside a 200 are reported per item and the batch is
 * never replayed; a 5xx for the whole batch replays the chunk only when every item is safe to repeat.
 */
import { lastValueFrom } from "rxjs";
import { KintoHttpError, OutcomeUnknownError, type BatchResponse, type Collection } from "../../src";
import { kintoUrl, raw, uniqueName } from "../helpers";
import type { FaultProxy } from "./proxy";
import { proxiedClient, proxyFor, rawAll } from "./support";

// Not "batch…": Kinto refuses sub-requests whose path contains "/batch" (recursion check).
const BUCKET = uniqueName("bulk");
const records = (cid: string) => `/buckets/${BUCKET}/collections/${cid}/records`;
const isBatch = (r: { method: string; url: string }) => r.method === "POST" && r.url.endsWith("/batch");
let proxy: FaultProxy | undefined;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBeLessThan(300);
});

afterAll(async () => {
  await raw("DELETE", `/buckets/${BUCKET}`);
});

afterEach(() => proxy?.close());

/** A fresh collection, reached through a new proxy answering faults with `retryAfter`. */
async function setup(cid: string, retryAfter: string): Promise<{ proxy: FaultProxy; posts: Collection<undefined> }> {
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
  proxy = await proxyFor(kintoUrl(), { retryAfter, filter: isBatch });
  return {
    proxy,
    posts: proxiedClient(proxy, { retry: 3, retryPolicy: { baseDelay: 5 } })
      .bucket(BUCKET)
      .collection(cid),
  };
}

const batches = (proxy: FaultProxy) => proxy.stats.log.filter(isBatch).map((e) => e.fault);
const statuses = (responses: BatchResponse[]) => responses.map((r) => r.status);

it("a 409 with Retry-After on the whole batch is retried, even for creates without id", async () => {
  const { proxy, posts } = await setup("conflict", "0");
  proxy.next("409");
  const responses = await lastValueFrom(
    posts.batch((b) => {
      b.createRecord({ title: "a" });
      b.createRecord({ title: "b" });
    }),
  );
  expect(statuses(responses as BatchResponse[])).toEqual([201, 201]);
  expect(batches(proxy)).toEqual(["409", "none"]);
  expect((await rawAll(kintoUrl(), records("conflict"))).map((r) => r.title).sort()).toEqual(["a", "b"]);
});

it("4xx answers inside a 200 batch are reported per item and the batch is never replayed", async () => {
  const { proxy, posts } = await setup("items", "0");
  const taken = (await raw("PUT", `${records("items")}/taken`, { data: { owner: "them" } })).json.data;
  const responses = (await lastValueFrom(
    posts.batch(
      (b) => {
        b.createRecord({ id: "taken", owner: "us" });
        b.deleteRecord("missing", { safe: false }); // a safe delete needs a last_modified
        b.createRecord({ id: "new", owner: "us" });
      },
      { safe: true },
    ),
  )) as BatchResponse[];
  expect(statuses(responses)).toEqual([412, 404, 201]);
  expect(batches(proxy)).toEqual(["none"]);
  expect(proxy.stats.log.filter(isBatch)).toHaveLength(1);
  expect(await rawAll(kintoUrl(), `${records("items")}?_sort=id`)).toEqual([(responses[2].body as { data: unknown }).data, taken]);
});

it("a 5xx for the whole batch replays the chunk when every item is an idempotent PUT", async () => {
  const { proxy, posts } = await setup("replay", "soon"); // no valid Retry-After: a plain 503
  proxy.next("503");
  const responses = (await lastValueFrom(
    posts.batch((b) => {
      b.createRecord({ id: "x", n: 1 });
      b.createRecord({ id: "y", n: 2 });
    }),
  )) as BatchResponse[];
  expect(statuses(responses)).toEqual([201, 201]);
  expect(batches(proxy)).toEqual(["503", "none"]);
  expect((await rawAll(kintoUrl(), `${records("replay")}?_sort=id`)).map((r) => [r.id, r.n])).toEqual([
    ["x", 1],
    ["y", 2],
  ]);
});

it("a batch holding a create without id is not replayed after a plain 5xx or a lost answer", async () => {
  const { proxy, posts } = await setup("unsafe", "soon");
  const queue = () =>
    posts.batch((b) => {
      b.createRecord({ id: "x", n: 1 });
      b.createRecord({ n: 2 }); // POST: the server picks the id
    });
  proxy.next("503");
  const plain = await lastValueFrom(queue()).catch((e: unknown) => e);
  expect(plain).toBeInstanceOf(KintoHttpError);
  expect((plain as KintoHttpError).status).toBe(503);
  expect(await rawAll(kintoUrl(), records("unsafe"))).toEqual([]);

  proxy.next("reset-after");
  const lost = await lastValueFrom(queue()).catch((e: unknown) => e);
  expect(lost).toBeInstanceOf(OutcomeUnknownError);
  expect(batches(proxy)).toEqual(["503", "reset-after"]);
  expect((await rawAll(kintoUrl(), `${records("unsafe")}?_sort=n`)).map((r) => r.n)).toEqual([1, 2]);
});
