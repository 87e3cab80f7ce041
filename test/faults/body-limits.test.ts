/**
 * Issue 15, finding 6: a response body is read up to `maxResponseBytes` (default 64 MiB), with or
 * without Content-Length, compressed or not, through the global fetch and through cross-fetch; a
 * larger one is a ResponseTooLargeError, never retried. A UTF-8 BOM is stripped by every fetch.
 */
import { gzipSync } from "node:zlib";
import crossFetch from "cross-fetch";
import { lastValueFrom } from "rxjs";
import { DEFAULT_MAX_RESPONSE_BYTES, KintoClient, ResponseTooLargeError, type FetchLike } from "../../src";
import { localServer, sendJson, type LocalServer } from "../security/local-server";

const RECORDS = "/v1/buckets/b/collections/c/records";
const MB = 1024 * 1024;

/** Writes `{"data":{"id":"big","last_modified":1,"blob":"xxxx…"}}` of about `size` bytes, in 1 MB chunks, without Content-Length. */
function streamBig(res: import("node:http").ServerResponse, size: number): void {
  res.writeHead(200, { "Content-Type": "application/json" });
  res.write('{"data":{"id":"big","last_modified":1,"blob":"');
  const chunk = "x".repeat(MB);
  let written = 0;
  const more = () => {
    while (written < size) {
      written += MB;
      if (!res.write(chunk)) return void res.once("drain", more);
    }
    res.end('"}}');
  };
  res.on("close", () => (written = size));
  more();
}

let server: LocalServer;
beforeAll(async () => {
  server = await localServer((req, res) => {
    const name = (req.url ?? "").split("?")[0].slice(RECORDS.length + 1);
    switch (name) {
      case "huge":
        return streamBig(res, 70 * MB);
      case "sized":
        return sendJson(res, 200, { data: { id: "sized", last_modified: 1, blob: "y".repeat(2 * MB) } });
      case "chunked":
        return streamBig(res, 2 * MB);
      case "gzip": {
        const zipped = gzipSync(JSON.stringify({ data: { id: "gzip", last_modified: 1, blob: "z".repeat(4 * MB) } }));
        res.writeHead(200, { "Content-Type": "application/json", "Content-Encoding": "gzip", "Content-Length": String(zipped.length) });
        return res.end(zipped);
      }
      case "error":
        return sendJson(res, 503, { code: 503, errno: 201, error: "Service Unavailable", message: "m".repeat(2 * MB) });
      case "bom": {
        const text = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"data":{"id":"bom","last_modified":1,"t":"é"}}')]);
        res.writeHead(200, { "Content-Type": "application/json", "Content-Length": String(text.length) });
        return res.end(text);
      }
    }
    sendJson(res, 404, { code: 404, errno: 111, error: "Not Found" });
  });
});
afterAll(() => server.close());
beforeEach(() => (server.received.length = 0));

const FETCHES: [string, FetchLike | undefined][] = [
  ["global fetch", undefined],
  ["cross-fetch", crossFetch as unknown as FetchLike],
];

describe.each(FETCHES)("with %s", (_name, fetch) => {
  const get = (id: string, options: ConstructorParameters<typeof KintoClient>[1] = {}) =>
    lastValueFrom(new KintoClient(server.url, { fetch, ...options }).bucket("b").collection("c").getRecord(id));

  it("a body over the default limit (64 MiB) is a ResponseTooLargeError, sent once despite retry: 2", async () => {
    expect(DEFAULT_MAX_RESPONSE_BYTES).toBe(64 * MB);
    const error = await get("huge", { retry: 2 }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ResponseTooLargeError);
    expect(error).toMatchObject({ limit: 64 * MB, request: { method: "GET", path: "/buckets/b/collections/c/records/huge" } });
    expect(server.received.length).toBe(1);
  });

  it.each(["sized", "chunked", "gzip", "error"])("maxResponseBytes bounds a %s body", async (id) => {
    await expect(get(id, { maxResponseBytes: MB, retry: 2 })).rejects.toBeInstanceOf(ResponseTooLargeError);
    expect(server.received.length).toBe(1);
    await expect(get(id === "error" ? "bom" : id, { maxResponseBytes: 8 * MB })).resolves.toMatchObject({ data: { last_modified: 1 } });
  });

  it("a body starting with a UTF-8 BOM parses", async () => {
    await expect(get("bom")).resolves.toEqual({ data: { id: "bom", last_modified: 1, t: "é" } });
  });

  it("refuses a nonsensical limit", () => {
    expect(() => new KintoClient(server.url, { maxResponseBytes: 0 })).toThrow(/maxResponseBytes/);
  });
});
