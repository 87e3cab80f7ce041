/**
 * Scenario 3 on one server: every variant creates the same records through `/batch` in a
 * collection of its own (bucket `create`), which is deleted afterwards. Each run checks the
 * responses and the server's `Total-Records` (see `createMany`).
 */
import { KintoClient } from "../src";
import { randomUUID } from "node:crypto";
import { AUTH, clients, createMany, makeRecord, PeerClient, rawJson, type CreateVariant, type Target } from "./contenders";
import { alternate, measure, type Sample } from "./measure";
import { descendantsCpuMs } from "./server-cpu";

/** The variants of scenario 3, in the order they run. */
export const CREATE_VARIANTS: readonly CreateVariant[] = [
  "kinto-rx upload c1",
  "kinto-rx upload c2",
  "kinto-rx upload c4",
  "kinto-rx batch",
  "peer",
  "peer with ids + safe",
  "fetch",
];

/** The clients of scenario 3, and how many `/batch` requests kinto-rx's client has sent so far. */
export interface CreateClients {
  /** kinto-rx's and the peer's clients (created once per server: server info stays cached). */
  readonly clients: ReturnType<typeof clients>;
  /** `/batch` requests sent by kinto-rx's client (first attempts and retries), when counted. */
  readonly batchesSent?: () => number;
}

/**
 * Clients that retry (`retry`), for a server that rolls back concurrent writes into one collection
 * (Kinto on PostgreSQL answers 409 "Integrity constraint violated, please retry" when two
 * transactions give records the same `last_modified`): `uploadRecords` sends such a chunk again.
 * kinto-rx's fetch counts its `/batch` requests, so that the retries can be reported.
 */
export function createClients(url: string, retry = 0): CreateClients {
  let batches = 0;
  const fetch = (input: string, init: RequestInit) => {
    if (init.method === "POST" && input.endsWith("/batch")) batches++;
    return globalThis.fetch(input, init);
  };
  const rx = new KintoClient(url, { headers: AUTH, retry, fetch });
  return { clients: { rx, peer: new PeerClient(url, { headers: AUTH, retry }) }, batchesSent: () => batches };
}

/** How scenario 3 runs. */
export interface CreateRun extends CreateClients {
  /** The server's API root. */
  readonly url: string;
  /** The scenario's label, for the log. */
  readonly label: string;
  /** Records per run. */
  readonly records: number;
  /** Rounds (each variant once per round, alternating). */
  readonly rounds: number;
  /** Progress messages. */
  readonly log: (message: string) => void;
  /** The variants to run (default {@link CREATE_VARIANTS}). */
  readonly variants?: readonly CreateVariant[];
}

/** One run of scenario 3: its sample, and how many `/batch` requests kinto-rx sent again. */
export type CreateSample = Sample & {
  /** `/batch` requests of kinto-rx beyond one per chunk (0 for the peer and fetch; absent when not counted). */
  readonly retriedBatches?: number;
  /** CPU ms the server's processes (this process's descendants) spent during the run, where known. */
  readonly serverCpuMs?: number;
};

/** `fn` measured, with the CPU time the servers started by the bench spent meanwhile. */
async function measureWithServer(fn: () => Promise<unknown>): Promise<Sample & { serverCpuMs?: number }> {
  const before = descendantsCpuMs();
  const sample = await measure(fn);
  const after = descendantsCpuMs();
  return before === undefined || after === undefined ? sample : { ...sample, serverCpuMs: after - before };
}

/** Runs every variant `rounds` times; the samples by variant. */
export async function createScenario(run: CreateRun): Promise<Record<CreateVariant, CreateSample[]>> {
  await rawJson(`${run.url}/buckets/create`, { method: "PUT", body: "{}" });
  let k = 0;
  return alternate(run.variants ?? CREATE_VARIANTS, run.rounds, async (who) => {
    const target: Target = { url: run.url, bucket: "create", collection: `c${k++}` };
    const collection = `${run.url}/buckets/create/collections/${target.collection}`;
    await rawJson(collection, { method: "PUT", body: "{}" });
    run.log(`${run.label}: ${who}`);
    const sent = run.batchesSent;
    const before = sent?.() ?? 0;
    const sample = await measureWithServer(() => createMany(who, run.clients, target, run.records, 25));
    await rawJson(collection, { method: "DELETE" });
    if (!sent) return sample;
    const retriedBatches = who.startsWith("kinto-rx") ? sent() - before - Math.ceil(run.records / 25) : 0;
    if (retriedBatches > 0) run.log(`${run.label}: ${who}: ${retriedBatches} /batch requests sent again after a rollback`);
    return { ...sample, retriedBatches };
  });
}

/**
 * Not measured: `records` records uploaded 4 `/batch` requests at a time, then deleted, so that
 * every worker of a multi-process server has served requests (database connections, caches)
 * before the first measured run.
 */
export async function warmUp(run: CreateClients & { readonly url: string }, records: number): Promise<void> {
  const target: Target = { url: run.url, bucket: "create", collection: "warm-up" };
  const collection = `${run.url}/buckets/create/collections/${target.collection}`;
  await rawJson(`${run.url}/buckets/create`, { method: "PUT", body: "{}" });
  await rawJson(collection, { method: "PUT", body: "{}" });
  await createMany("kinto-rx upload c4", run.clients, target, records, 25);
  await rawJson(collection, { method: "DELETE" });
}

/** The variants of scenario 3c: the same records split over several collections. */
export const SPLIT_VARIANTS = [
  "kinto-rx upload, collections in parallel",
  "kinto-rx upload, collections one after another",
  "peer, collections in parallel",
] as const;
/** One variant of scenario 3c. */
export type SplitVariant = (typeof SPLIT_VARIANTS)[number];

/**
 * Scenario 3c: `records` records split over `collections` collections (bucket `split`), each
 * collection written by one writer at concurrency 1, the collections in parallel (a `merge` of
 * uploads; the peer: one `batch` per collection, awaited together) or one after another. On a
 * multi-process server, writes into different collections do not collide, so parallel writers
 * use several workers at once. Each run checks every collection's `Total-Records`.
 */
export async function splitScenario(run: CreateRun & { readonly collections: number }): Promise<Record<SplitVariant, CreateSample[]>> {
  await rawJson(`${run.url}/buckets/split`, { method: "PUT", body: "{}" });
  const per = Math.ceil(run.records / run.collections);
  let k = 0;
  return alternate(SPLIT_VARIANTS, run.rounds, async (who) => {
    const targets: Target[] = Array.from({ length: run.collections }, () => ({ url: run.url, bucket: "split", collection: `s${k++}` }));
    for (const t of targets) await rawJson(`${run.url}/buckets/split/collections/${t.collection}`, { method: "PUT", body: "{}" });
    run.log(`${run.label}: ${who}`);
    const one = (t: Target) => createMany(who.startsWith("peer") ? "peer" : "kinto-rx upload c1", run.clients, t, per, 25);
    const sample = await measureWithServer(async () => {
      if (who.includes("one after another")) for (const t of targets) await one(t);
      else await Promise.all(targets.map(one));
    });
    for (const t of targets) await rawJson(`${run.url}/buckets/split/collections/${t.collection}`, { method: "DELETE" });
    return sample;
  });
}

/** The request shapes of scenario 3d: how a create can be sent inside a `/batch`. */
export const CREATE_SHAPES = [
  "POST, no id (the peer's batch)",
  "PUT + If-None-Match: * (uploadRecords)",
  "POST with id",
  "POST with id + If-None-Match: *",
] as const;
/** One shape of scenario 3d. */
export type CreateShape = (typeof CREATE_SHAPES)[number];

/** The sub-request creating `data` in the collection at `path` (`/buckets/b/collections/c/records`), in `shape`. */
function createRequest(shape: CreateShape, path: string, data: Record<string, unknown>): Record<string, unknown> {
  if (shape.startsWith("POST, no id")) return { method: "POST", path, body: { data } };
  const withId = { data: { ...data, id: randomUUID() } };
  const create = { "If-None-Match": "*" };
  if (shape.startsWith("PUT")) return { method: "PUT", path: `${path}/${withId.data.id}`, headers: create, body: withId };
  return shape.endsWith("*") ? { method: "POST", path, headers: create, body: withId } : { method: "POST", path, body: withId };
}

/**
 * Scenario 3d: the server's cost of one create in each request shape, raw fetch, one `/batch` of 25
 * at a time, **interleaved batch by batch** (shape A's batch k, shape B's batch k, …, the order
 * rotating), each shape into a collection of its own: every shape meets the same machine load, so
 * the ratios hold even on a busy machine. Per shape: the sum of the batches' wall times, and the
 * server's CPU time (gunicorn workers and PostgreSQL backends) during them. Checks every
 * sub-response (201) and each collection's `Total-Records`.
 */
export async function shapeScenario(
  run: Pick<CreateRun, "url" | "records" | "label" | "log">,
): Promise<Record<CreateShape, CreateSample[]>> {
  const bucket = `${run.url}/buckets/shapes`;
  await rawJson(bucket, { method: "PUT", body: "{}" });
  const ids = CREATE_SHAPES.map((_, i) => `shape${i}`);
  for (const id of ids) await rawJson(`${bucket}/collections/${id}`, { method: "PUT", body: "{}" });
  const wall = CREATE_SHAPES.map(() => 0);
  const server = CREATE_SHAPES.map(() => 0);
  run.log(`${run.label}: ${run.records} records per shape`);
  for (let start = 0, k = 0; start < run.records; start += 25, k++) {
    for (let j = 0; j < CREATE_SHAPES.length; j++) {
      const i = (j + k) % CREATE_SHAPES.length;
      const path = `/buckets/shapes/collections/${ids[i]}/records`;
      const requests = [];
      for (let n = start; n < Math.min(run.records, start + 25); n++) requests.push(createRequest(CREATE_SHAPES[i], path, makeRecord(n)));
      const body = JSON.stringify({ requests });
      const cpu = descendantsCpuMs() ?? NaN;
      const t = performance.now();
      const { json } = await rawJson(`${run.url}/batch`, { method: "POST", body });
      wall[i] += performance.now() - t;
      server[i] += (descendantsCpuMs() ?? NaN) - cpu;
      const refused = (json.responses as { status: number }[]).find((r) => r.status !== 201);
      if (refused) throw new Error(`${CREATE_SHAPES[i]}: a create answered ${JSON.stringify(refused)}`);
    }
  }
  const result = {} as Record<CreateShape, CreateSample[]>;
  for (let i = 0; i < CREATE_SHAPES.length; i++) {
    const { headers } = await rawJson(`${bucket}/collections/${ids[i]}/records`, { method: "HEAD" });
    if (Number(headers.get("Total-Records")) !== run.records)
      throw new Error(`${CREATE_SHAPES[i]}: ${headers.get("Total-Records")} records on the server, expected ${run.records}`);
    result[CREATE_SHAPES[i]] = [
      { ms: wall[i], cpuUs: 0, peakRss: 0, peakHeap: 0, ...(Number.isNaN(server[i]) ? {} : { serverCpuMs: server[i] }) },
    ];
  }
  await rawJson(bucket, { method: "DELETE" });
  return result;
}
