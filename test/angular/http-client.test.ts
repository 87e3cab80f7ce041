/**
 * kinto-rx/angular with Angular's real HttpClient (not a browser: a Node process of its own, as
 * Angular is ESM only; see http-client.probe.mjs) against the real Kinto server: writes and reads
 * go through the app's interceptors, whenStable() waits for them, HEAD and 304 answers work, an
 * HTTP error is the server's, unsubscribing tears HttpClient's request down, and
 * HttpTestingController answers kinto-rx's requests. Needs dist/ (npm test builds it first).
 */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import { promisify } from "node:util";
import { AUTH, kintoUrl, raw, uniqueName } from "../helpers";

const ROOT = resolve(__dirname, "../..");

describe("provideKintoClient with HttpClient", () => {
  const bucket = uniqueName("ng-http");
  let findings: Record<string, unknown>;

  beforeAll(async () => {
    if (!existsSync(resolve(ROOT, "dist/esm/angular.mjs"))) throw new Error("dist/ is missing: run `node build.mjs` (npm test does)");
    expect((await raw("PUT", `/buckets/${bucket}`)).status).toBe(201);
    expect((await raw("PUT", `/buckets/${bucket}/collections/tasks`)).status).toBe(201);
    const { stdout } = await promisify(execFile)(process.execPath, [resolve(__dirname, "http-client.probe.mjs")], {
      cwd: ROOT,
      encoding: "utf8",
      timeout: 30_000,
      env: { ...process.env, KINTO_URL: kintoUrl(), BUCKET: bucket, AUTH },
    });
    findings = JSON.parse(stdout.trim().split("\n").pop()!);
  }, 40_000);

  afterAll(async () => {
    await raw("DELETE", `/buckets/${bucket}`);
  });

  it("writes through HttpClient: the server has the record", async () => {
    expect(findings.created).toBe("Sent by HttpClient");
    const { json } = await raw("GET", `/buckets/${bucket}/collections/tasks/records/from-angular`);
    expect(json.data.title).toBe("Sent by HttpClient");
    expect(findings.listed).toEqual(["from-angular"]);
  });

  it("whenStable() waits for kinto-rx's requests (HttpClient's pending tasks)", () => {
    expect(findings.answeredWhenStable).toBe(true);
  });

  it("the app's interceptors see every request, HEAD and the feed's 304 polls included", () => {
    const requests = findings.requests as string[];
    expect(requests.slice(0, 4)).toEqual([
      `PUT /buckets/${bucket}/collections/tasks/records/from-angular 201`,
      `GET /buckets/${bucket}/collections/tasks/records?… 200`,
      `GET /buckets/${bucket}/collections/tasks/records/from-angular 200`,
      `HEAD /buckets/${bucket}/collections/tasks/records 200`,
    ]);
    expect(requests).toContain(`GET /buckets/${bucket}/collections/tasks/records?… 304`);
    expect(findings.timestamp).toBe("string");
  });

  it("an HTTP error is the server's KintoHttpError", () => {
    expect(findings.missing).toBe(404);
    expect(findings.requests).toContain(`GET /buckets/${bucket}/collections/tasks/records/nope 404`);
  });

  it("unsubscribing tears HttpClient's request down before any answer", () => {
    expect(findings.cancelled).toEqual([{ status: null, finalized: true }]);
  });

  it("HttpTestingController answers kinto-rx's requests", () => {
    expect(findings.flushed).toBe("flushed");
  });
});
