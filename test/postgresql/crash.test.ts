/**
 * Only on the production topology (`npm run test:postgresql`), where storage survives the server:
 * an upload goes on across a crash of every Kinto process (SIGKILL, then a restart on the same
 * database), and the server ends with each record exactly once, each reported created.
 */
import { filter, lastValueFrom, mergeMap, tap, toArray } from "rxjs";
import { KintoClient, type RecordResult, type UploadEvent } from "../../src";
import { AUTH } from "../helpers";
import { startKinto, type KintoServer } from "../server/kinto-server";

let server: KintoServer;

beforeAll(async () => {
  server = await startKinto({ paginateBy: 1000, backend: "postgresql" });
}, 120_000);
afterAll(() => server?.stop());

async function raw(method: string, path: string): Promise<{ status: number; json: any }> {
  const response = await fetch(server.url + path, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    body: method === "PUT" ? "{}" : undefined,
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

it("an upload survives a kill -9 of every server process and a restart: each record once on the server", async () => {
  expect((await raw("PUT", "/buckets/crash")).status).toBe(201);
  expect((await raw("PUT", "/buckets/crash/collections/c")).status).toBe(201);
  const COUNT = 1000;
  const client = new KintoClient(server.url, {
    headers: { Authorization: AUTH },
    retry: 12,
    retryPolicy: { baseDelay: 100, maxDelay: 2000 },
  });
  let chunks = 0;
  let crashed: Promise<void> | undefined;
  const rows = (function* () {
    for (let n = 0; n < COUNT; n++) yield { n };
  })();
  const results: RecordResult[] = await lastValueFrom(
    client
      .bucket("crash")
      .collection("c")
      .uploadRecords(rows, { concurrency: 2 })
      .pipe(
        tap((event) => {
          if (event.type === "chunk" && ++chunks === 8) crashed = server.crashAndRestart!();
        }),
        filter((e): e is Extract<UploadEvent, { type: "chunk" }> => e.type === "chunk"),
        mergeMap((e) => e.results),
        toArray(),
      ),
  );
  await crashed;
  expect(crashed).toBeDefined();
  expect(results.map((r) => r.status).filter((s) => s !== "created")).toEqual([]);
  expect(results).toHaveLength(COUNT);
  // The server's own list, page by page (pages of 1,000, sorted by n).
  const held: number[] = [];
  for (let page = 0; page * 1000 < COUNT + 1000; page++) {
    const { json } = await raw(
      "GET",
      `/buckets/crash/collections/c/records?_sort=n&_limit=1000&min_n=${page * 1000}&lt_n=${(page + 1) * 1000}`,
    );
    held.push(...json.data.map((r: { n: number }) => r.n));
  }
  expect(held).toEqual([...Array(COUNT).keys()]);
}, 240_000);
