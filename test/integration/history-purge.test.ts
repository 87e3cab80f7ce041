/**
 * History purge, `_expected` cache busting and `/changeset` detection, against the real server
 * (history plugin; no Remote Settings plugin, so `/changeset` must be refused without a request).
 * The changeset's decoding is checked against a scripted Remote Settings answer at the end.
 */
import { firstValueFrom, lastValueFrom, toArray } from "rxjs";
import { KintoClient, MissingCapabilityError } from "../../src";
import { localServer, sendJson, type LocalServer } from "../security/local-server";
import { countingFetch, raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("purge");

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
});

/** Every history entry of the bucket as the server has it (raw requests, all pages). */
async function serverHistory(): Promise<{ resource_name: string; collection_id?: string; record_id?: string }[]> {
  const entries = [];
  let path: string | null = `/buckets/${BUCKET}/history`;
  for (let pages = 0; path !== null && pages < 50; pages++) {
    const { json, headers } = await raw("GET", path);
    entries.push(...json.data);
    const next = headers.get("Next-Page");
    path = next === null ? null : next.slice(next.indexOf("/v1") + 3);
  }
  return entries;
}

describe("purgeHistory", () => {
  it("deletes the entries matching the filters, every page of them, and keeps the others", async () => {
    const bucket = testClient().bucket(BUCKET);
    for (const cid of ["kept", "purged"]) {
      await firstValueFrom(bucket.createCollection(cid));
      await lastValueFrom(bucket.collection(cid).batch((b) => Array.from({ length: 12 }, (_, n) => b.createRecord({ id: `r${n}`, n }))));
    }
    const before = await serverHistory();
    expect(before.filter((e) => e.collection_id === "purged" && e.resource_name === "record")).toHaveLength(12);
    const chunks = await lastValueFrom(
      bucket.purgeHistory({ filters: { resource_name: "record", collection_id: "purged" } }).pipe(toArray()),
    );
    expect(chunks.flatMap((c) => c.data)).toHaveLength(12);
    expect(chunks.length).toBeGreaterThan(1); // the server deletes one page per request
    const after = await serverHistory();
    expect(after.filter((e) => e.collection_id === "purged" && e.resource_name === "record")).toEqual([]);
    expect(after.filter((e) => e.collection_id === "kept" && e.resource_name === "record")).toHaveLength(12);
    expect(after.some((e) => e.collection_id === "purged" && e.resource_name === "collection")).toBe(true);
  });
});

describe("_expected cache busting", () => {
  it("listRecords({expected}) sends _expected, which Kinto ignores", async () => {
    const counter = countingFetch();
    const coll = testClient({ fetch: counter.fetch }).bucket(BUCKET).collection("kept");
    const etag = await firstValueFrom(coll.getRecordsTimestamp());
    const page = await firstValueFrom(coll.listRecords({ expected: etag!, limit: 5 }));
    expect(page.data).toHaveLength(5);
    expect(new URL(counter.urls[counter.urls.length - 1]).searchParams.get("_expected")).toBe(JSON.parse(etag!));
  });
});

describe("getChangeset", () => {
  it("is refused with MissingCapabilityError on a server without the changes capability, nothing but the server info sent", async () => {
    const counter = countingFetch();
    const coll = testClient({ fetch: counter.fetch }).bucket(BUCKET).collection("kept");
    const error = await firstValueFrom(coll.getChangeset({ expected: 123 })).catch((e) => e);
    expect(error).toBeInstanceOf(MissingCapabilityError);
    expect(counter.urls.map((u) => new URL(u).pathname)).toEqual([new URL(counter.urls[0]).pathname]);
    expect(new URL(counter.urls[0]).pathname).toMatch(/\/v1\/$/);
  });

  describe("on a server announcing changes (a scripted Remote Settings answer)", () => {
    let server: LocalServer;
    const metadata = { id: "cid", last_modified: 20, signature: { x5u: "https://example.invalid/x5u" } };
    beforeAll(async () => {
      server = await localServer((req, res) => {
        const url = new URL(req.url ?? "/", "http://x");
        if (url.pathname === "/v1/") {
          return sendJson(res, 200, {
            project_name: "kinto",
            project_version: "x",
            http_api_version: "1.23",
            url: "u",
            settings: { batch_max_requests: 25, readonly: false },
            capabilities: { changes: {} },
          });
        }
        if (url.pathname === "/v1/buckets/main/collections/cid/changeset") {
          const changes = [
            { id: "a", last_modified: 20, title: "A" },
            { id: "b", last_modified: 15, deleted: true },
          ];
          return sendJson(res, 200, { metadata, timestamp: 20, changes });
        }
        sendJson(res, 404, { code: 404, errno: 111, error: "Not Found" });
      });
    });
    afterAll(() => server.close());

    it("sends _expected (0 by default) and _since, and decodes records and tombstones", async () => {
      const coll = new KintoClient(server.url).bucket("main").collection("cid");
      const changeset = await firstValueFrom(coll.getChangeset({ expected: '"20"', since: 10 }));
      expect(changeset).toEqual({
        metadata,
        timestamp: 20,
        changes: [
          { id: "a", last_modified: 20, title: "A" },
          { id: "b", last_modified: 15, deleted: true },
        ],
      });
      const sent = new URL(server.received[server.received.length - 1].url, "http://x");
      expect(sent.searchParams.get("_expected")).toBe("20");
      expect(sent.searchParams.get("_since")).toBe('"10"');
      await firstValueFrom(coll.getChangeset());
      expect(new URL(server.received[server.received.length - 1].url, "http://x").searchParams.get("_expected")).toBe("0");
    });
  });
});
