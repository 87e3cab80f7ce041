/**
 * A minimal stand-in for Kinto: canned JSON answered at once, so that what a request costs the
 * client is not hidden behind the server's time. Runs in a child process (its CPU is not the
 * client's): `runStub()` prints the port on stdout.
 */
import { createServer } from "node:http";

/** The collection the stub serves. */
export const STUB_PATHS = { bucket: "b", collection: "c", record: "r1" } as const;

/** How many records the stub's list page holds. */
export const STUB_PAGE_SIZE = 1000;

function record(n: number): Record<string, unknown> {
  return {
    id: `r${n}`,
    last_modified: 1_700_000_000_000 + n,
    title: `record ${n}`,
    n,
    tags: ["bench", n % 2 ? "odd" : "even"],
    done: n % 3 === 0,
  };
}

/** The canned bodies, also used by the decoding micro-benchmark. */
export const CANNED = {
  record: { data: record(1), permissions: { write: ["basicauth:0123456789abcdef"] } },
  list: { data: Array.from({ length: STUB_PAGE_SIZE }, (_, i) => record(i + 1)) },
  root: {
    project_name: "kinto",
    project_version: "stub",
    http_api_version: "1.23",
    project_docs: "https://kinto.readthedocs.io/",
    url: "http://127.0.0.1/v1/",
    settings: { batch_max_requests: 25, readonly: false, explicit_permissions: true },
    capabilities: {},
  },
};

/** Starts the stub on a free port of 127.0.0.1 and prints `{"port": …}` once listening. */
export function runStub(): void {
  const bodies = {
    record: Buffer.from(JSON.stringify(CANNED.record)),
    list: Buffer.from(JSON.stringify(CANNED.list)),
    root: Buffer.from(JSON.stringify(CANNED.root)),
  };
  const { bucket, collection, record: id } = STUB_PATHS;
  const recordsPath = `/v1/buckets/${bucket}/collections/${collection}/records`;
  const server = createServer((req, res) => {
    const path = (req.url ?? "/").split("?")[0];
    const body =
      path === `${recordsPath}/${id}` ? bodies.record : path === recordsPath ? bodies.list : path === "/v1/" ? bodies.root : undefined;
    req.resume();
    if (!body) {
      res.writeHead(404, { "Content-Type": "application/json" }).end('{"code":404,"errno":111,"error":"Not Found"}');
      return;
    }
    res.writeHead(200, { "Content-Type": "application/json", "Content-Length": body.length, ETag: '"1700000001000"' }).end(body);
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, "127.0.0.1", () => {
    const address = server.address();
    process.stdout.write(`${JSON.stringify({ port: typeof address === "object" && address ? address.port : 0 })}\n`);
  });
}
