import { firstValueFrom, lastValueFrom, take, toArray } from "rxjs";
import { allRecords, records, toAsyncIterable, type Page, type KintoRecord } from "../../src";
import { countingFetch, raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("pages");
const TOTAL = 100;

beforeAll(async () => {
  await raw("PUT", `/buckets/${BUCKET}`);
  await raw("PUT", `/buckets/${BUCKET}/collections/items`);
  const requests = Array.from({ length: TOTAL }, (_, n) => ({
    method: "PUT",
    path: `/buckets/${BUCKET}/collections/items/records/r${String(n).padStart(3, "0")}`,
    body: { data: { n } },
  }));
  for (let i = 0; i < requests.length; i += 25) {
    const { status } = await raw("POST", "/batch", { requests: requests.slice(i, i + 25) });
    expect(status).toBe(200);
  }
});

function items(fetchImpl?: typeof fetch) {
  return testClient({ fetch: fetchImpl }).bucket(BUCKET).collection("items");
}

describe("pages as a stream", () => {
  it("pages: Infinity is lazy: take(3) sends exactly 3 GET requests", async () => {
    const counter = countingFetch();
    const pages = await lastValueFrom(items(counter.fetch).listRecords({ limit: 10, pages: Infinity }).pipe(take(3), toArray()));
    expect(pages).toHaveLength(3);
    expect(pages.every((p) => p.data.length === 10 && p.hasNextPage)).toBe(true);
    // Let any request that would have been started after take(3) reach fetch.
    await new Promise((r) => setTimeout(r, 100));
    expect(counter.count("GET")).toBe(3);
  });

  it("follows Next-Page through the whole collection, in the requested order, each record once", async () => {
    const counter = countingFetch();
    const all = await lastValueFrom(items(counter.fetch).listRecords({ limit: 7, pages: Infinity, sort: "n" }).pipe(allRecords()));
    expect(all.map((r) => r.n)).toEqual(Array.from({ length: TOTAL }, (_, n) => n));
    expect(counter.count("GET")).toBe(Math.ceil(TOTAL / 7));
  });

  it("pages defaults to 1 and `pages: 3` stops after three", async () => {
    const one = await lastValueFrom(items().listRecords({ limit: 5 }).pipe(toArray()));
    expect(one).toHaveLength(1);
    expect(one[0].hasNextPage).toBe(true);
    const three = await lastValueFrom(items().listRecords({ limit: 5, pages: 3 }).pipe(records(), toArray()));
    expect(three).toHaveLength(15);
  });

  it("each page carries the list ETag without quotes, and next() fetches the following page", async () => {
    // The server caps _limit at its paginate_by (10 in test/kinto.ini).
    const first: Page<KintoRecord> = await firstValueFrom(items().listRecords({ limit: 40, sort: "n", filters: { min_n: 75 } }));
    expect(first.data.map((r) => r.n)).toEqual(Array.from({ length: 10 }, (_, i) => i + 75));
    const { headers } = await raw("HEAD", `/buckets/${BUCKET}/collections/items/records`);
    expect(first.last_modified).toBe(headers.get("ETag")!.replace(/"/g, ""));
    const second = await firstValueFrom(first.next());
    expect(second.data.map((r) => r.n)).toEqual(Array.from({ length: 10 }, (_, i) => i + 85));
    const third = await firstValueFrom(second.next());
    expect(third.data.map((r) => r.n)).toEqual([95, 96, 97, 98, 99]);
    expect(third.hasNextPage).toBe(false);
    await expect(firstValueFrom(third.next())).rejects.toThrow(/no next page/);
  });

  it("filters, fields, since and before reach the server", async () => {
    const page = await firstValueFrom(items().listRecords({ filters: { min_n: 10, lt_n: 15 }, fields: ["n"], sort: "n" }));
    expect(page.data.map((r) => r.n)).toEqual([10, 11, 12, 13, 14]);
    expect(Object.keys(page.data[0]).sort()).toEqual(["id", "last_modified", "n"]);
    const inList = await firstValueFrom(items().listRecords({ filters: { in_n: [1, 99] }, sort: "n" }));
    expect(inList.data.map((r) => r.n)).toEqual([1, 99]);
    const sorted = await lastValueFrom(items().listRecords({ pages: Infinity, sort: "last_modified" }).pipe(allRecords()));
    const pivot = sorted[49].last_modified;
    const since = await lastValueFrom(items().listRecords({ since: pivot, pages: Infinity }).pipe(allRecords()));
    expect(since).toHaveLength(50);
    const before = await lastValueFrom(items().listRecords({ before: pivot, pages: Infinity }).pipe(allRecords()));
    expect(before).toHaveLength(49);
  });

  it("for await pulls one page at a time, and leaving the loop sends nothing more", async () => {
    const counter = countingFetch();
    const seen: number[] = [];
    for await (const page of toAsyncIterable(items(counter.fetch).listRecords({ limit: 10, sort: "n", pages: Infinity }))) {
      seen.push(...page.data.map((r) => r.n as number));
      if (seen.length >= 30) break;
    }
    expect(seen).toEqual(Array.from({ length: 30 }, (_, n) => n));
    expect(counter.count("GET")).toBe(3);
  });
});
