/**
 * Each error class on a real failure: HTTP errors from the real Kinto server (404, 401, 403, 412,
 * 400), and transport failures from tiny local servers (one that never answers, one answering
 * invalid JSON, one answering JSON of the wrong shape) and a closed port. Then: the Authorization
 * value never appears in an error or a notice.
 */
import { EventEmitter } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { inspect } from "node:util";
import { lastValueFrom, type Observable } from "rxjs";
import {
  InvalidArgumentError,
  KintoClient,
  KintoHttpError,
  NetworkError,
  NetworkTimeoutError,
  OutcomeUnknownError,
  PayloadValidationError,
  UnparseableResponseError,
} from "../../src";
import { kintoUrl, raw, testClient, uniqueName } from "../helpers";
import { freePort } from "../server/kinto-server";

/** The error `source` fails with (the test fails if it succeeds). */
function failure(source: Observable<unknown>): Promise<unknown> {
  return lastValueFrom(source).then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** A local HTTP server; counts requests and connections closed by the client before an answer. */
interface LocalServer {
  readonly url: string;
  readonly stats: { requests: number; clientClosed: number };
  close(): Promise<void>;
}

async function localServer(handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<LocalServer> {
  const stats = { requests: 0, clientClosed: 0 };
  const server: Server = createServer((req, res) => {
    stats.requests++;
    res.on("close", () => {
      if (!res.writableFinished) stats.clientClosed++;
    });
    handler(req, res);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  return {
    url,
    stats,
    close: () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

const json = (status: number, body: string) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(status, { "Content-Type": "application/json", "Content-Length": Buffer.byteLength(body) });
  res.end(body);
};

const BUCKET = uniqueName("errors");
const client = testClient();
let hanging: LocalServer;
let invalidJson: LocalServer;
let wrongShape: LocalServer;
let closedPort: string;

beforeAll(async () => {
  [hanging, invalidJson, wrongShape] = await Promise.all([
    localServer(() => undefined), // never answers
    localServer(json(200, '{"data": [')),
    localServer(json(200, JSON.stringify({ project_name: "kinto", project_version: 42, url: "x", settings: {}, capabilities: [] }))),
  ]);
  closedPort = `http://127.0.0.1:${await freePort()}/v1`;
  await lastValueFrom(client.createBucket(BUCKET));
  await lastValueFrom(client.bucket(BUCKET).createCollection("things"));
});

afterAll(async () => {
  await Promise.all([hanging?.close(), invalidJson?.close(), wrongShape?.close()]);
  await raw("DELETE", `/buckets/${BUCKET}`);
});

describe("KintoHttpError on real error responses", () => {
  const things = () => client.bucket(BUCKET).collection("things");

  it("404: status, errno, code, error, message, details (as the server sent them)", async () => {
    const error = await failure(things().getRecord("missing"));
    const direct = await raw("GET", `/buckets/${BUCKET}/collections/things/records/missing`);
    expect(direct.status).toBe(404);
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).toMatchObject({
      status: 404,
      errno: direct.json.errno,
      code: 404,
      error: "Not Found",
      serverMessage: direct.json.message,
      details: { id: "missing", resource_name: "record" },
      request: { method: "GET", path: `/buckets/${BUCKET}/collections/things/records/missing` },
    });
    expect(direct.json.errno).toBe(110);
    expect((error as Error).message).toContain("HTTP 404 Not Found on GET");
  });

  it("401: anonymous access to a private bucket", async () => {
    const anonymous = new KintoClient(kintoUrl());
    const error = await failure(anonymous.bucket(BUCKET).getData());
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).toMatchObject({ status: 401, errno: 104, code: 401, error: "Unauthorized" });
  });

  it("403: another user on the test user's bucket", async () => {
    const other = new KintoClient(kintoUrl(), { headers: { Authorization: "Basic " + Buffer.from("someone-else:pw").toString("base64") } });
    const error = await failure(other.bucket(BUCKET).getData());
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).toMatchObject({ status: 403, errno: 121, code: 403, error: "Forbidden" });
  });

  it("412: a safe update with a stale timestamp carries the current record", async () => {
    const created = await lastValueFrom(things().createRecord({ id: "rec-412", title: "v1" }));
    await raw("PATCH", `/buckets/${BUCKET}/collections/things/records/rec-412`, { data: { title: "v2" } });
    const error = await failure(
      things().updateRecord({ id: "rec-412", title: "mine" }, { safe: true, last_modified: created.data.last_modified }),
    );
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).toMatchObject({ status: 412, errno: 114, code: 412, error: "Precondition Failed" });
    expect((error as KintoHttpError).existing).toMatchObject({ id: "rec-412", title: "v2" });
    // Nothing was written by the refused update.
    expect((await raw("GET", `/buckets/${BUCKET}/collections/things/records/rec-412`)).json.data.title).toBe("v2");
  });

  it("400: an invalid parameter, with the server's details", async () => {
    const error = await failure(things().listRecords({ since: "not-a-timestamp" }));
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error).toMatchObject({ status: 400, errno: 107, code: 400, error: "Invalid parameters" });
    expect((error as KintoHttpError).details).toEqual([expect.objectContaining({ location: "querystring", name: "_since" })]);
  });
});

describe("transport errors", () => {
  it("NetworkTimeoutError: no answer within the timeout; the connection is aborted", async () => {
    const before = hanging.stats.clientClosed;
    const slow = new KintoClient(hanging.url, { timeout: 200 });
    const error = await failure(slow.bucket("b").getData());
    expect(error).toBeInstanceOf(NetworkTimeoutError);
    expect(error).toMatchObject({ timeout: 200, request: { method: "GET", path: "/buckets/b" } });
    // The server sees the client close its connection (the fetch was aborted, not left running).
    for (let i = 0; i < 50 && hanging.stats.clientClosed === before; i++) await new Promise((r) => setTimeout(r, 20));
    expect(hanging.stats.clientClosed).toBe(before + 1);
  });

  it("NetworkError on a refused connection (GET), OutcomeUnknownError for a POST", async () => {
    const refused = new KintoClient(closedPort, { retry: 2, retryPolicy: { baseDelay: 1 } });
    const get = await failure(refused.bucket("b").getData());
    expect(get).toBeInstanceOf(NetworkError);
    expect(get).not.toBeInstanceOf(OutcomeUnknownError);
    expect((get as NetworkError).reason).toMatch(/ECONNREFUSED/);
    const post = await failure(refused.createBucket(null));
    expect(post).toBeInstanceOf(OutcomeUnknownError);
  });

  it("UnparseableResponseError: a 200 with invalid JSON", async () => {
    const error = await failure(new KintoClient(invalidJson.url).bucket("b").getData());
    expect(error).toBeInstanceOf(UnparseableResponseError);
    expect(error).toMatchObject({ status: 200, bodyStart: '{"data": [' });
  });

  it("PayloadValidationError: server info of the wrong shape, with JSON paths", async () => {
    const error = await failure(new KintoClient(wrongShape.url).fetchServerInfo());
    expect(error).toBeInstanceOf(PayloadValidationError);
    const paths = (error as PayloadValidationError).issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["$.project_version", "$.http_api_version", "$.capabilities"]));
  });
});

describe("credentials never leak", () => {
  const PASSWORD = "Zq-canary-7c1e9b";
  const SECRET = "Basic " + Buffer.from(`leak-canary:${PASSWORD}`).toString("base64");
  const forms = [SECRET, SECRET.slice(6), PASSWORD];

  function leaks(value: unknown): string[] {
    const renderings = [String(value), JSON.stringify(value) ?? "", inspect(value, { depth: Infinity, showHidden: true })];
    if (value instanceof Error) renderings.push(value.message, value.stack ?? "");
    return forms.filter((form) => renderings.some((text) => text.includes(form)));
  }

  it("appears in no error (message, JSON, stack, String, inspect) nor notice payload", async () => {
    const events = new EventEmitter();
    const payloads: unknown[] = [];
    for (const name of ["backoff", "deprecated", "retry-after"]) events.on(name, (p: unknown) => payloads.push(p));
    const options = { headers: { Authorization: SECRET }, events };
    const owner = new KintoClient(kintoUrl(), options);
    const bucket = uniqueName("leak");
    await lastValueFrom(owner.createBucket(bucket));
    await lastValueFrom(owner.bucket(bucket).createCollection("c"));
    const c = owner.bucket(bucket).collection("c");
    const created = await lastValueFrom(c.createRecord({ id: "r", n: 1 }));
    await lastValueFrom(c.updateRecord({ id: "r", n: 2 }));
    try {
      const errors = await Promise.all([
        failure(c.getRecord("missing")), // 404
        failure(c.updateRecord({ id: "r", n: 3 }, { safe: true, last_modified: created.data.last_modified })), // 412
        failure(c.listRecords({ since: "x" })), // 400
        failure(owner.bucket(BUCKET).getData()), // 403
        failure(new KintoClient(kintoUrl(), { headers: { Authorization: `Basic !${PASSWORD}` } }).bucket(bucket).getData()), // 401
        failure(new KintoClient(hanging.url, { ...options, timeout: 100 }).bucket("b").getData()),
        failure(new KintoClient(closedPort, options).bucket("b").getData()),
        failure(new KintoClient(closedPort, options).createBucket(null)),
        failure(new KintoClient(invalidJson.url, options).bucket("b").getData()),
        failure(new KintoClient(wrongShape.url, options).fetchServerInfo()),
        failure(
          new KintoClient(kintoUrl(), { ...options, headers: { Authorization: `${SECRET}\r\nX-Injected: 1` } }).bucket(bucket).getData(),
        ),
      ]);
      expect(errors.map((e) => (e as Error).constructor.name)).toEqual([
        "KintoHttpError",
        "KintoHttpError",
        "KintoHttpError",
        "KintoHttpError",
        "KintoHttpError",
        "NetworkTimeoutError",
        "NetworkError",
        "OutcomeUnknownError",
        "UnparseableResponseError",
        "PayloadValidationError",
        "InvalidArgumentError",
      ]);
      expect(errors[4]).toMatchObject({ status: 401 });
      expect(errors[10]).toBeInstanceOf(InvalidArgumentError);
      for (const error of errors) expect(leaks(error)).toEqual([]);
      expect(payloads.length).toBeGreaterThan(0);
      for (const payload of payloads) expect(leaks(payload)).toEqual([]);
    } finally {
      await lastValueFrom(owner.deleteBucket(bucket));
    }
  });
});
