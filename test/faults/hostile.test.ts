/**
 * Issue 15, finding 8: payloads a man in the middle could send. Timestamps must be finite
 * non-negative integers; error bodies go through the payloads' `__proto__` guard and a depth limit;
 * totals and messages are bounded. A scripted server answers what no real Kinto would.
 */
import { lastValueFrom, take, toArray, timeout } from "rxjs";
import { KintoClient, KintoHttpError, PayloadValidationError, Timestamp } from "../../src";
import { localServer, sendJson, type LocalServer } from "../security/local-server";
import { kintoError, serverInfo } from "./scripted";

const RECORDS = "/v1/buckets/b/collections/c/records";
const DEEP = 100_000;
/** JSON text of an object nested `depth` levels deep (built as text: JSON.stringify would overflow). */
const deepJson = (depth: number) => '{"a":'.repeat(depth) + "1" + "}".repeat(depth);

let server: LocalServer;
beforeAll(async () => {
  server = await localServer((req, res, body) => {
    const path = (req.url ?? "").split("?")[0];
    const name = path.slice(RECORDS.length + 1);
    if (path === "/v1/") return sendJson(res, 200, serverInfo());
    if (path === "/v1/batch") {
      const requests = (JSON.parse(body) as { requests: { path: string }[] }).requests;
      const existing = `{"id":"x","last_modified":1,"deep":${deepJson(DEEP)}}`;
      const item = (r: { path: string }) =>
        `{"status":412,"path":${JSON.stringify(r.path)},"body":{"code":412,"errno":114,"error":"Precondition Failed","details":{"existing":${existing}}}}`;
      return sendJson(res, 200, `{"responses":[${requests.map(item).join(",")}]}`);
    }
    if (path === RECORDS) {
      if (req.method === "HEAD") return sendJson(res, 200, "", { "Total-Records": "9".repeat(400) });
      const since = new URL(req.url!, "http://x").searchParams.get("_since");
      const stamp = since === "1" ? "1e400" : "-1e400";
      return sendJson(res, 200, `{"data":[{"id":"r","last_modified":${stamp}}]}`, { ETag: '"5"' });
    }
    switch (name) {
      case "float":
        return sendJson(res, 200, '{"data":{"id":"float","last_modified":1.5}}');
      case "proto":
        return sendJson(
          res,
          412,
          '{"code":412,"errno":114,"error":"Precondition Failed","details":{"existing":{"id":"proto","last_modified":1,"__proto__":{"admin":true}}}}',
        );
      case "deep":
        return sendJson(res, 412, `{"code":412,"errno":114,"error":"Precondition Failed","details":{"existing":${deepJson(DEEP)}}}`);
      case "chatty":
        return sendJson(res, 500, kintoError(500, 999, "Internal Server Error", "x".repeat(50 * 1024 * 1024)));
    }
    sendJson(res, 404, kintoError(404, 111, "Not Found", "no route"));
  });
});
afterAll(() => server.close());

const collection = () => new KintoClient(server.url).bucket("b").collection("c");
const failure = (p: Promise<unknown>) =>
  p.then(
    (v) => {
      throw new Error(`expected a failure, got ${JSON.stringify(v)}`);
    },
    (e: unknown) => e,
  );

describe("timestamps are finite non-negative integers", () => {
  it("the Timestamp codec refuses Infinity, -Infinity, NaN, fractions and negatives", () => {
    for (const bad of [Infinity, -Infinity, NaN, 1.5, -1, 2 ** 53]) expect(Timestamp.is(bad)).toBe(false);
    for (const good of [0, 1, 1_700_000_000_000]) expect(Timestamp.is(good)).toBe(true);
  });

  it("a record with last_modified 1.5 is a PayloadValidationError naming the path", async () => {
    const error = await failure(lastValueFrom(collection().getRecord("float")));
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect((error as PayloadValidationError).issues[0]).toMatchObject({ path: "$.data.last_modified", expected: "Timestamp" });
  });

  it.each([
    ["1e400", 1],
    ["-1e400", 2],
  ])("a feed facing last_modified %s errors instead of polling _since=Infinity or re-emitting", async (_stamp, since) => {
    server.received.length = 0;
    const error = await failure(lastValueFrom(collection().watchRecords({ since, interval: 10 }).pipe(take(3), toArray(), timeout(3000))));
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(server.received.length).toBe(1);
    expect(server.received.some((r) => /_since=(-?Infinity)/.test(r.url))).toBe(false);
  });
});

describe("error bodies", () => {
  it("a __proto__ key in an error body never reaches details/existing", async () => {
    const error = await failure(lastValueFrom(collection().updateRecord({ id: "proto", n: 1 }, { safe: true, last_modified: 1 })));
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect((error as PayloadValidationError).issues[0].path).toBe("$.details.existing.__proto__");
    expect(({} as Record<string, unknown>).admin).toBeUndefined();
  });

  it("a 412 with an existing nested 100,000 levels deep is a PayloadValidationError, not a RangeError", async () => {
    const error = await failure(lastValueFrom(collection().updateRecord({ id: "deep", n: 1 }, { safe: true, last_modified: 1 })));
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect(String(error)).toMatch(/levels of nesting/);
  });

  it("an upload whose 412s carry such an existing fails with a PayloadValidationError, not a RangeError", async () => {
    const error = await failure(
      lastValueFrom(
        collection()
          .uploadRecords([{ id: "x", n: 1 }])
          .pipe(toArray()),
      ),
    );
    expect(error).toBeInstanceOf(PayloadValidationError);
  });

  it("a 50 MB server message is cut in the error's message and serverMessage", async () => {
    const error = (await failure(lastValueFrom(collection().getRecord("chatty")))) as KintoHttpError;
    expect(error).toBeInstanceOf(KintoHttpError);
    expect(error.status).toBe(500);
    expect(error.message.length).toBeLessThan(700);
    expect(error.message).toMatch(/more characters\)$/);
    expect(error.serverMessage!.length).toBeLessThan(5000);
  });
});

describe("totals", () => {
  it("an absurd Total-Records is a PayloadValidationError, not Infinity", async () => {
    const error = await failure(lastValueFrom(collection().getTotalRecords()));
    expect(error).toBeInstanceOf(PayloadValidationError);
    expect((error as PayloadValidationError).issues[0]).toMatchObject({ path: "Total-Records", expected: "a safe integer" });
  });
});
