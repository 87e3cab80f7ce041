/**
 * Batches whose transaction the server rolls back. On PostgreSQL with several workers, concurrent
 * batches into one collection collide on timestamps: an item answers 409, Kinto aborts the
 * transaction and carries on, and the 200 answer still lists the earlier items' 201. kinto-rx
 * reports each item as what it is (applied, rolled-back), which is checked item by item against
 * the server; with `retry`, only what was rolled back is sent again, and nothing is duplicated.
 * On the memory backend nothing collides: the same assertions hold, with nothing rolled back.
 */
import { lastValueFrom } from "rxjs";
import type { AggregateResponse, CheckedBatchResponse, KintoHttpError } from "../../src";
import { kintoBackend } from "../server/kinto-server";
import { raw, testClient, uniqueName } from "../helpers";

const BUCKET = uniqueName("rollback");
const PARALLEL = 4;
const PER_BATCH = 25;
// On PostgreSQL: until enough batches had a 409 inside (or this many); nothing collides in memory.
const MAX_ROUNDS = kintoBackend() === "postgresql" ? 40 : 3;
const WANTED_ROLLBACKS = 3;
// Each collision costs the server's Retry-After (3 s): a few rounds.
const RETRIED_ROUNDS = kintoBackend() === "postgresql" ? 6 : 3;

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
});
afterAll(() => raw("DELETE", `/buckets/${BUCKET}`));

/** Every record of a collection on the server, by id. */
async function serverRecords(cid: string): Promise<Map<string, { id: string; last_modified: number; n: number }>> {
  const out = new Map<string, { id: string; last_modified: number; n: number }>();
  let url: string | null = `/buckets/${BUCKET}/collections/${cid}/records`;
  while (url) {
    const { json, headers } = await raw("GET", url);
    for (const record of json.data) out.set(record.id, record);
    const next = headers.get("Next-Page");
    url = next ? next.slice(next.indexOf("/buckets/")) : null;
  }
  return out;
}

/** What a run of concurrent batches gave: the checked responses, and the values of whole batches refused. */
interface Run {
  readonly responses: CheckedBatchResponse[];
  /** Values sent, in order. */
  readonly sent: number[];
  /** Values of the batches that failed whole (a 409 on /batch itself: the transaction's commit). */
  readonly refused: number[];
}

/**
 * `PARALLEL` batches of `PER_BATCH` creates (POST, ids given by the server) at once, round after
 * round: `rounds` of them, or, when `untilRollbacks`, until that many batches had a 409 inside.
 */
async function concurrentCreates(cid: string, retry: number, rounds: number, untilRollbacks = Infinity): Promise<Run> {
  const collection = testClient({ retry, retryPolicy: { baseDelay: 20 } })
    .bucket(BUCKET)
    .collection(cid);
  const run: Run = { responses: [], sent: [], refused: [] };
  let n = 0;
  let withRollback = 0;
  for (let round = 0; round < rounds && withRollback < untilRollbacks; round++) {
    const batches = Array.from({ length: PARALLEL }, async () => {
      const values = Array.from({ length: PER_BATCH }, () => n++);
      run.sent.push(...values);
      try {
        const result = await lastValueFrom(
          collection.batch<CheckedBatchResponse[]>((b) => values.forEach((value) => b.createRecord({ n: value }))),
        );
        run.responses.push(...result);
        if (result.some((r) => r.outcome === "rolled-back")) withRollback++;
      } catch (error) {
        if ((error as KintoHttpError).status !== 409) throw error;
        run.refused.push(...values);
      }
    });
    await Promise.all(batches);
  }
  return run;
}

it("every create reported applied is on the server as answered; every one reported rolled back is not", async () => {
  const cid = "no-retry";
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
  const { responses, refused } = await concurrentCreates(cid, 0, MAX_ROUNDS, WANTED_ROLLBACKS);
  const server = await serverRecords(cid);
  const values = new Set([...server.values()].map((r) => r.n));
  const applied = responses.filter((r) => r.outcome === "applied");
  const rolledBack = responses.filter((r) => r.outcome === "rolled-back");
  for (const response of applied) {
    expect(response.status).toBe(201);
    const { data } = response.body as { data: { id: string; last_modified: number; n: number } };
    expect(server.get(data.id)).toEqual(data);
  }
  for (const response of rolledBack) {
    // Never a 201 for a write that is not there: a 409, with the server's answer kept apart.
    expect(response.status).toBe(409);
    // (The 409 items themselves are reported as the server sent them.)
    const reported = (response.body as { reported?: { status: number; body?: { data?: { id: string } } } }).reported;
    if (reported?.status === 201) expect(server.has(reported.body!.data!.id)).toBe(false);
  }
  expect(refused.filter((value) => values.has(value))).toEqual([]);
  expect(applied.length + rolledBack.length).toBe(responses.length);
  expect(server.size).toBe(applied.length);
  if (kintoBackend() === "memory") expect(rolledBack.length + refused.length).toBe(0);
  process.stderr.write(
    `[batch-rollback] ${kintoBackend()}: ${responses.length + refused.length} creates, ${applied.length} applied, ${rolledBack.length} rolled back, ` +
      `${refused.length} in batches refused whole; all checked on the server\n`,
  );
}, 240_000);

it("with retry, only the rolled-back creates are sent again (as create-only PUTs): each value once on the server", async () => {
  const cid = "retried";
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
  const { responses, sent, refused } = await concurrentCreates(cid, 8, RETRIED_ROUNDS);
  expect(refused).toEqual([]);
  const server = await serverRecords(cid);
  expect(responses.map((r) => r.outcome).filter((o) => o !== "applied")).toEqual([]);
  expect([...server.values()].map((r) => r.n).sort((a, b) => a - b)).toEqual(sent);
  for (const response of responses) {
    const { data } = response.body as { data: { id: string; n: number } };
    expect(server.get(data.id)?.n).toBe(data.n);
  }
}, 240_000);

it("aggregate counts rolled-back writes apart from the published ones", async () => {
  const cid = "aggregate";
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
  const collection = testClient().bucket(BUCKET).collection(cid);
  const results = await Promise.all(
    Array.from({ length: PARALLEL }, (_, k) =>
      lastValueFrom(
        collection.batch<AggregateResponse>((b) => Array.from({ length: PER_BATCH }, (_, i) => b.createRecord({ n: k * PER_BATCH + i })), {
          aggregate: true,
        }),
      ).catch((error: KintoHttpError) => {
        if (error.status !== 409) throw error;
        return undefined; // refused whole: nothing of it is on the server (checked above)
      }),
    ),
  );
  const server = await serverRecords(cid);
  const answered = results.filter((r): r is AggregateResponse => r !== undefined);
  const published = answered.flatMap((r) => r.published as { data: { id: string } }[]);
  expect(published.every((p) => server.has(p.data.id))).toBe(true);
  expect(published.length + answered.reduce((sum, r) => sum + r.rolledBack.length, 0)).toBe(answered.length * PER_BATCH);
  expect(server.size).toBe(published.length);
}, 120_000);
