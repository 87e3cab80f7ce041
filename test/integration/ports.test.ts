/**
 * What code ported from kinto-http.js relies on, against the real server: the timestamp getters'
 * quoted ETags, paginated deletions shaped as kinto-http.js resolves them, `toAsyncIterable`
 * honouring `pages`, and the words of its error messages.
 */
import { firstValueFrom, lastValueFrom, toArray } from "rxjs";
import { toAsyncIterable, type Collection } from "../../src";
import { countingFetch, raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("ports");

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
});

/** A new collection holding `n` records `{id: r00.., n}` (the test server's pages hold 10). */
async function filled(n: number, fetch?: typeof globalThis.fetch): Promise<Collection> {
  const cid = uniqueName("c");
  await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`);
  const coll = testClient(fetch ? { fetch } : {})
    .bucket(BUCKET)
    .collection(cid);
  await lastValueFrom(
    coll.batch((b) => {
      for (let i = 0; i < n; i++) b.createRecord({ id: `r${String(i).padStart(2, "0")}`, n: i });
    }),
  );
  return coll;
}

/** The ids of the collection's records as the server has them, every page (raw requests). */
async function serverIds(coll: Collection): Promise<string[]> {
  const ids: string[] = [];
  let path: string | null = `/buckets/${BUCKET}/collections/${coll.name}/records?_sort=id`;
  for (let pages = 0; path !== null && pages < 20; pages++) {
    const { json, headers } = await raw("GET", path);
    ids.push(...json.data.map((r: { id: string }) => r.id));
    const next = headers.get("Next-Page");
    path = next === null ? null : next.slice(next.indexOf("/v1") + 3);
  }
  return ids;
}

describe("timestamp getters emit the ETag as kinto-http.js does", () => {
  it("getRecordsTimestamp has the quotes, and since / at / watchRecords accept it as is", async () => {
    const coll = await filled(3);
    const { headers } = await raw("HEAD", `/buckets/${BUCKET}/collections/${coll.name}/records`);
    const etag = await firstValueFrom(coll.getRecordsTimestamp());
    expect(etag).toBe(headers.get("ETag"));
    expect(etag).toMatch(/^"\d+"$/);
    await raw("PATCH", `/buckets/${BUCKET}/collections/${coll.name}/records/r01`, { data: { n: 100 } });
    const changed = await firstValueFrom(coll.listRecords({ since: etag! }));
    expect(changed.data.map((r) => r.id)).toEqual(["r01"]);
    const before = await firstValueFrom(coll.listRecords({ at: etag! }));
    expect(before.data.map((r) => [r.id, r.n]).sort()).toEqual([
      ["r00", 0],
      ["r01", 1],
      ["r02", 2],
    ]);
  });
});

describe("deleteRecords, deleteCollections, deleteBuckets: pages of tombstones", () => {
  it("deletes one server page by default, as kinto-http.js, and says whether matching records remain", async () => {
    const coll = await filled(25);
    const result = await firstValueFrom(coll.deleteRecords());
    expect(result.data).toHaveLength(10);
    expect(result.data.every((t) => t.deleted === true)).toBe(true);
    expect(result.hasNextPage).toBe(true);
    expect(result.last_modified).toMatch(/^\d+$/);
    expect(await serverIds(coll)).toHaveLength(15);
  });

  it("pages: Infinity deletes every matching record, chunk after chunk, and no other", async () => {
    const counter = countingFetch();
    const coll = await filled(25, counter.fetch);
    const before = counter.count("DELETE");
    const chunks = await lastValueFrom(coll.deleteRecords({ pages: Infinity, filters: { min_n: 3 } }).pipe(toArray()));
    expect(chunks.map((c) => c.data.length)).toEqual([10, 10, 2]);
    expect(chunks[chunks.length - 1].hasNextPage).toBe(false);
    expect(counter.count("DELETE") - before).toBe(3);
    expect(await serverIds(coll)).toEqual(["r00", "r01", "r02"]);
  });

  it("page.next() deletes the next chunk", async () => {
    const coll = await filled(12);
    const first = await firstValueFrom(coll.deleteRecords({ limit: 5 }));
    expect(first.data).toHaveLength(5);
    const second = await firstValueFrom(first.next());
    expect(second.data).toHaveLength(5);
    expect(await serverIds(coll)).toHaveLength(2);
  });
});

describe("toAsyncIterable honours pages", () => {
  it("yields one page by default (as the Observable emits), n with pages: n, all with Infinity", async () => {
    const counter = countingFetch();
    const coll = await filled(25, counter.fetch);
    const count = async (pages?: number) => {
      let seen = 0;
      for await (const page of toAsyncIterable(coll.listRecords({ limit: 5, ...(pages === undefined ? {} : { pages }) })))
        seen += page.data.length;
      return seen;
    };
    const start = counter.count("GET");
    expect(await count()).toBe(5);
    expect(await count(2)).toBe(10);
    expect(await count(Infinity)).toBe(25);
    expect(counter.count("GET") - start).toBe(1 + 2 + 5);
  });
});

describe("error messages carry the words kinto-http.js users match", () => {
  it("an HTTP error starts with the status and its text, then names the request and the server's message", async () => {
    const coll = await filled(1);
    const error = await firstValueFrom(coll.createRecord({ id: "r00", n: 1 }, { safe: true })).catch((e) => e);
    expect(error.message).toMatch(/412 Precondition Failed/);
    expect(error.message).toBe(
      `HTTP 412 Precondition Failed on PUT /buckets/${BUCKET}/collections/${coll.name}/records/r00: Resource was modified meanwhile`,
    );
  });

  it("asking for the page after the last says Pagination exhausted.", async () => {
    const coll = await filled(2);
    const page = await firstValueFrom(coll.listRecords());
    expect(page.hasNextPage).toBe(false);
    await expect(firstValueFrom(page.next())).rejects.toThrow(/Pagination exhausted\./);
    const etag = await firstValueFrom(coll.getRecordsTimestamp());
    const snapshot = await firstValueFrom(coll.listRecords({ at: etag! }));
    await expect(firstValueFrom(snapshot.next())).rejects.toThrow(/Pagination exhausted\./);
  });
});
