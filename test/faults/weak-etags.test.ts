/**
 * Issue 15, finding 7: behind a proxy that compresses (nginx turns `"123"` into `W/"123"`), or one
 * that drops the ETag, timestamps stay usable: `getRecordsTimestamp()`, `page.last_modified`,
 * `since`, and the feed. Against the real Kinto, through a proxy that rewrites the ETag.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { firstValueFrom, lastValueFrom, take, timeout, toArray } from "rxjs";
import { etagTimestamp, KintoClient } from "../../src";
import { AUTH, kintoUrl, raw, uniqueName } from "../helpers";

type Rewrite = (etag: string | null) => string | null;
let rewrite: Rewrite = (etag) => etag;

/** A proxy in front of the test server that rewrites the ETag of every answer with `rewrite`. */
async function etagProxy(): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(kintoUrl()).origin;
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    const relay = async () => {
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers))
        if (typeof v === "string" && !["host", "connection", "content-length"].includes(k)) headers[k] = v;
      const answer = await fetch(upstream + (req.url ?? ""), {
        method: req.method,
        headers,
        body: ["GET", "HEAD"].includes(req.method ?? "") ? undefined : Buffer.concat(chunks),
        redirect: "manual",
      });
      const out: Record<string, string> = {};
      answer.headers.forEach((v, k) => {
        if (!["content-encoding", "content-length", "transfer-encoding", "etag", "connection", "keep-alive"].includes(k)) out[k] = v;
      });
      const etag = rewrite(answer.headers.get("ETag"));
      if (etag !== null) out.ETag = etag;
      const body = Buffer.from(await answer.arrayBuffer());
      res.writeHead(answer.status, out);
      res.end(req.method === "HEAD" ? undefined : body);
    };
    // A failed relay resets the connection: the client under test sees a network error.
    req.on("end", () => {
      relay().catch(() => res.destroy());
    });
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${new URL(kintoUrl()).pathname}`,
    close: () => {
      server.closeAllConnections();
      return new Promise((ok) => server.close(() => ok()));
    },
  };
}

const weak: Rewrite = (etag) => (etag === null ? null : `W/${etag}`);
const dropped: Rewrite = () => null;

let proxy: { url: string; close(): Promise<void> };
const bucket = uniqueName("weak-etags");
const RECORDS = `/buckets/${bucket}/collections/c/records`;

beforeAll(async () => {
  proxy = await etagProxy();
  expect((await raw("PUT", `/buckets/${bucket}`, { data: {} })).status).toBeLessThan(300);
  expect((await raw("PUT", `/buckets/${bucket}/collections/c`, { data: {} })).status).toBeLessThan(300);
  for (const id of ["a", "b", "c"]) expect((await raw("PUT", `${RECORDS}/${id}`, { data: { n: id } })).status).toBe(201);
});
afterAll(async () => {
  await raw("DELETE", `/buckets/${bucket}`);
  await proxy.close();
});
afterEach(() => (rewrite = (etag) => etag));

const collection = () => new KintoClient(proxy.url, { headers: { Authorization: AUTH } }).bucket(bucket).collection("c");
const serverTimestamp = async () => (await raw("HEAD", RECORDS)).headers.get("ETag")!.replace(/"/g, "");

describe('weak ETags (W/"123")', () => {
  it("getRecordsTimestamp() and page.last_modified give the timestamp", async () => {
    rewrite = weak;
    const expected = await serverTimestamp();
    // Quoted as kinto-http.js gives it, and strong again: usable as `since`.
    await expect(lastValueFrom(collection().getRecordsTimestamp())).resolves.toBe(`"${expected}"`);
    const page = await lastValueFrom(collection().listRecords());
    expect(page.last_modified).toBe(expected);
  });

  it("a page's last_modified works as `since`, and so does a weak ETag given as since", async () => {
    rewrite = weak;
    const page = await lastValueFrom(collection().listRecords());
    expect((await raw("PUT", `${RECORDS}/d`, { data: { n: "d" } })).status).toBe(201);
    const after = await lastValueFrom(collection().listRecords({ since: page.last_modified! }));
    expect(after.data.map((r) => r.id)).toEqual(["d"]);
    const same = await lastValueFrom(collection().listRecords({ since: `W/"${page.last_modified}"` }));
    expect(same.data.map((r) => r.id)).toEqual(["d"]);
  });

  it("the feed keeps running and emits what changes after it started", async () => {
    rewrite = weak;
    const changes = firstValueFrom(collection().watchRecords({ interval: 50 }).pipe(take(1), timeout(10_000)));
    await new Promise((ok) => setTimeout(ok, 300));
    expect((await raw("PUT", `${RECORDS}/e`, { data: { n: "e" } })).status).toBe(201);
    await expect(changes).resolves.toMatchObject({ id: "e" });
  });

  it("etagTimestamp() reads strong, weak and absent ETags, and refuses what is no timestamp", () => {
    expect(etagTimestamp('"123"')).toBe("123");
    expect(etagTimestamp('W/"123"')).toBe("123");
    expect(etagTimestamp(' W/"1700000000000" ')).toBe("1700000000000");
    expect(etagTimestamp(null)).toBeNull();
    expect(etagTimestamp('"abc"')).toBeNull();
    expect(etagTimestamp(`"${"9".repeat(400)}"`)).toBeNull();
  });
});

describe("no ETag at all", () => {
  it("page.last_modified falls back to the newest last_modified of the page", async () => {
    rewrite = dropped;
    const direct = await raw("GET", `${RECORDS}?_sort=-last_modified`);
    const page = await lastValueFrom(collection().listRecords({ pages: Infinity }).pipe(toArray()));
    expect(page[0].last_modified).toBe(String(direct.json.data[0].last_modified));
    await expect(lastValueFrom(collection().getRecordsTimestamp())).resolves.toBeNull();
  });
});
