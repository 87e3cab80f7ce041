/**
 * The Authorization value (Basic and Bearer) never shows in anything kinto-rx produces: every
 * error class (message, String, JSON, stack, util.inspect), every notice (backoff$, deprecated$,
 * retryAfter$ and the events), and the CLI's output (explain() and main() with --auth / --bearer).
 * test/integration/errors.test.ts checks the transport errors with a Basic secret against the real
 * server; this extends it to Bearer, to RetryAfterTooLongError, TransactionAbortedError,
 * IncompleteHistoryError, the notices' subjects and the CLI, with a scripted local Kinto.
 */
import { EventEmitter } from "node:events";
import { PassThrough } from "node:stream";
import { inspect } from "node:util";
import { firstValueFrom, lastValueFrom, type Observable } from "rxjs";
import {
  IncompleteHistoryError,
  InvalidArgumentError,
  KintoClient,
  KintoHttpError,
  NetworkError,
  NetworkTimeoutError,
  OutcomeUnknownError,
  PayloadValidationError,
  RetryAfterTooLongError,
  TransactionAbortedError,
  UnparseableResponseError,
} from "../../src";
import { EXIT, explain, main } from "../../src/cli/main";
import { kintoUrl, uniqueName } from "../helpers";
import { freePort } from "../server/kinto-server";
import { localServer, sendJson, type LocalServer } from "./local-server";

const USER = "secret-user";
const PASSWORD = "Pw-canary-91f3c7";
const TOKEN = "tok-canary-4b7e2a9d0c";
const b64 = (s: string) => Buffer.from(s).toString("base64");
const AUTHS = {
  basic: {
    header: `Basic ${b64(`${USER}:${PASSWORD}`)}`,
    forms: [`${USER}:${PASSWORD}`, PASSWORD, b64(`${USER}:${PASSWORD}`)],
    cli: ["--auth", `${USER}:${PASSWORD}`],
  },
  bearer: { header: `Bearer ${TOKEN}`, forms: [TOKEN, b64(TOKEN)], cli: ["--bearer", TOKEN] },
};

/** The forms of the secret that appear in any rendering of `value`. */
function leaks(value: unknown, forms: readonly string[]): string[] {
  const renderings = [String(value), JSON.stringify(value) ?? "", inspect(value, { depth: 10, showHidden: true })];
  if (value instanceof Error) renderings.push(value.message, value.stack ?? "");
  return forms.filter((form) => renderings.some((text) => text.includes(form)));
}

/** The error `source` fails with. */
function failure(source: Observable<unknown>): Promise<unknown> {
  return lastValueFrom(source).then(
    (value) => {
      throw new Error(`expected a failure, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

const kintoBody = (code: number, errno: number, error: string, message: string, details?: unknown) => ({
  code,
  errno,
  error,
  message,
  details,
});
const RECORDS = "/v1/buckets/b/collections/c/records";

/** A scripted Kinto: `records/<status or behaviour>` answers accordingly. */
let fake: LocalServer;
let closedPort: string;

beforeAll(async () => {
  fake = await localServer((req, res) => {
    const path = (req.url ?? "").split("?")[0];
    const info = {
      project_name: "kinto",
      project_version: "x",
      http_api_version: "1.23",
      url: "u",
      settings: { batch_max_requests: 25, readonly: false },
      capabilities: {},
    };
    if (path === "/v1/") return sendJson(res, 200, info);
    if (path === "/v1/batch")
      return sendJson(res, 200, {
        responses: [{ status: 500, path: `${RECORDS}/x`, body: kintoBody(500, 999, "Internal Server Error", "boom") }],
      });
    if (path === "/v1/buckets/b/history") return sendJson(res, 200, { data: [] });
    if (path === RECORDS)
      return sendJson(res, 401, kintoBody(401, 104, "Unauthorized", "Please authenticate yourself to use this endpoint."));
    const name = path.slice(RECORDS.length + 1);
    switch (name) {
      case "400":
        return sendJson(
          res,
          400,
          kintoBody(400, 107, "Invalid parameters", "_since is invalid", [{ location: "querystring", name: "_since" }]),
        );
      case "401":
        return sendJson(res, 401, kintoBody(401, 104, "Unauthorized", "Please authenticate yourself to use this endpoint."));
      case "403":
        return sendJson(res, 403, kintoBody(403, 121, "Forbidden", "This user cannot access this resource."));
      case "404":
        return sendJson(res, 404, kintoBody(404, 110, "Not Found", "The resource was not found", { id: "404", resource_name: "record" }));
      case "412":
        return sendJson(
          res,
          412,
          kintoBody(412, 114, "Precondition Failed", "Resource was modified meanwhile", { existing: { id: "412", last_modified: 2 } }),
        );
      case "503":
        return sendJson(res, 503, kintoBody(503, 201, "Service Unavailable", "later"), { "Retry-After": "3600" });
      case "bad-json":
        return sendJson(res, 200, '{"data": {');
      case "bad-shape":
        return sendJson(res, 200, { data: { id: 5 } });
      case "hang":
        return; // never answers
      case "notices": {
        const alert = JSON.stringify({ code: "soft-eol", message: "Upgrade", url: "https://example.invalid/eol" });
        return sendJson(res, 200, { data: { id: "notices", last_modified: 1 } }, { Backoff: "1", Alert: alert, "Retry-After": "2" });
      }
    }
    sendJson(res, 404, kintoBody(404, 111, "Not Found", "no route"));
  });
  closedPort = `http://127.0.0.1:${await freePort()}/v1`;
});

afterAll(() => fake.close());

describe.each(Object.entries(AUTHS))("%s credentials", (_kind, auth) => {
  const headers = { Authorization: auth.header };
  const forms = [auth.header, ...auth.forms];

  it("appear in no error of any class", async () => {
    const client = new KintoClient(fake.url, { headers, timeout: 300 });
    const c = client.bucket("b").collection("c");
    const errors: [unknown, abstract new (...args: never[]) => Error][] = [
      [await failure(c.getRecord("400")), KintoHttpError],
      [await failure(c.getRecord("401")), KintoHttpError],
      [await failure(c.getRecord("403")), KintoHttpError],
      [await failure(c.getRecord("404")), KintoHttpError],
      [await failure(c.updateRecord({ id: "412", x: 1 }, { safe: true, last_modified: 1 })), KintoHttpError],
      [await failure(c.getRecord("503", { retry: 1 })), RetryAfterTooLongError],
      [await failure(c.getRecord("hang")), NetworkTimeoutError],
      [await failure(c.getRecord("bad-json")), UnparseableResponseError],
      [await failure(c.getRecord("bad-shape")), PayloadValidationError],
      [await failure(c.getRecord("..")), InvalidArgumentError],
      [
        await failure(new KintoClient(fake.url, { headers: { Authorization: `${auth.header}\r\nX-Injected: 1` } }).bucket("b").getData()),
        InvalidArgumentError,
      ],
      [await failure(c.uploadRecords([{ id: "x", n: 1 }], { rollbackRetries: 0 })), TransactionAbortedError],
      [await failure(c.listRecords({ at: 1_700_000_000_000 })), IncompleteHistoryError],
      [await failure(new KintoClient(closedPort, { headers }).bucket("b").getData()), NetworkError],
      [await failure(new KintoClient(closedPort, { headers }).bucket("b").collection("c").createRecord({ x: 1 })), OutcomeUnknownError],
    ];
    for (const [error, type] of errors) {
      expect(error).toBeInstanceOf(type);
      expect(leaks(error, forms)).toEqual([]);
      expect(leaks(explain(error), forms)).toEqual([]);
    }
    expect((errors[4][0] as KintoHttpError).status).toBe(412);
    // The secret was in play: the server received it with the requests.
    expect(fake.received.some((r) => r.headers.authorization === auth.header)).toBe(true);
  });

  it("appear in no notice: backoff$, deprecated$, retryAfter$ and the events", async () => {
    const events = new EventEmitter();
    const payloads: unknown[] = [];
    for (const name of ["backoff", "deprecated", "retry-after"]) events.on(name, (p: unknown) => payloads.push(p));
    const client = new KintoClient(fake.url, { headers, events });
    for (const subject of [client.backoff$, client.deprecated$, client.retryAfter$] as Observable<unknown>[])
      subject.subscribe((p) => payloads.push(p));
    await firstValueFrom(client.bucket("b").collection("c").getRecord("notices"));
    // backoff$ (replayed 0, then the release time), deprecated$, retryAfter$, and the three events.
    expect(payloads).toHaveLength(7);
    expect(payloads).toContainEqual({ code: "soft-eol", message: "Upgrade", url: "https://example.invalid/eol" });
    for (const payload of payloads) expect(leaks(payload, forms)).toEqual([]);
  });

  it("appear in no CLI output, whatever the failure", async () => {
    const runs: [string[], Record<string, string>, number][] = [
      [["export", fake.url, "b/c", ...auth.cli, "--retry", "1"], {}, EXIT.auth],
      [
        ["export", fake.url, "b/c", "--retry", "1"],
        auth === AUTHS.basic ? { KINTO_AUTH: `${USER}:${PASSWORD}` } : { KINTO_BEARER: TOKEN },
        EXIT.auth,
      ],
      [["info", closedPort, ...auth.cli, "--retry", "1"], {}, EXIT.unreachable],
      [["info", fake.url.replace("http://", `http://${USER}:${PASSWORD}@`), ...auth.cli], {}, EXIT.usage],
      [["export", fake.url, "b/c", ...auth.cli, "--bogus"], {}, EXIT.usage],
    ];
    for (const [argv, env, code] of runs) {
      const stdout = new PassThrough();
      const stderr = new PassThrough();
      let text = "";
      for (const stream of [stdout, stderr]) stream.on("data", (chunk: Buffer) => (text += chunk.toString()));
      expect(await main(argv, { stdout, stderr: stderr as unknown as NodeJS.WriteStream, env })).toBe(code);
      expect(text).toMatch(/^kinto-rx: /);
      expect(forms.filter((form) => text.includes(form))).toEqual([]);
    }
  });
});

describe("against the real server", () => {
  it("a Bearer token refused (401) and a Basic user on another's bucket (403) leak nothing", async () => {
    const owner = new KintoClient(kintoUrl(), { headers: { Authorization: `Basic ${b64(`${uniqueName("owner")}:pw`)}` } });
    const bucket = uniqueName("secrets");
    await lastValueFrom(owner.createBucket(bucket));
    await lastValueFrom(owner.bucket(bucket).createCollection("c"));
    try {
      for (const [auth, status] of [
        [AUTHS.bearer, 401],
        [AUTHS.basic, 403],
      ] as const) {
        const client = new KintoClient(kintoUrl(), { headers: { Authorization: auth.header } });
        const errors = [
          await failure(client.bucket(bucket).getData()),
          await failure(client.bucket(bucket).collection("c").createRecord({ x: 1 })),
        ];
        for (const error of errors) {
          expect(error).toMatchObject({ status });
          expect(leaks(error, [auth.header, ...auth.forms])).toEqual([]);
        }
      }
    } finally {
      await lastValueFrom(owner.deleteBucket(bucket));
    }
  });
});
