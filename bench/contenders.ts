/**
 * The three contenders of each scenario against a Kinto server: kinto-rx, the peer (the HTTP
 * client of the `kinto` npm package) and raw fetch (the same HTTP requests with no client: the floor).
 * Every run checks its result (record counts), so that a contender cannot win by doing less.
 */
import { randomUUID } from "node:crypto";
import { concatMap, count, lastValueFrom, range, reduce, tap } from "rxjs";
import { KintoClient, allRecords, records, type UploadEvent } from "../src";
import type PeerType from "kinto/lib/http";

/** The peer's client class, from the package's CommonJS build (its lib/http is ESM). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
export const PeerClient: typeof PeerType = require("kinto/lib/cjs/http").default;

/** Who runs. */
export type Contender = "kinto-rx" | "peer" | "fetch";

/** Where the scenario's data lives. */
export interface Target {
  /** API root. */
  readonly url: string;
  /** Bucket id. */
  readonly bucket: string;
  /** Collection id. */
  readonly collection: string;
}

/** Credentials of the benchmarks (any user:pass is accepted by basicauth). */
export const AUTH: Readonly<Record<string, string>> = { Authorization: `Basic ${Buffer.from("bench:bench").toString("base64")}` };
const JSON_HEADERS = { ...AUTH, Accept: "application/json", "Content-Type": "application/json" };

/** The record created by seeding and by the create scenario. */
export function makeRecord(n: number): Record<string, unknown> {
  return { title: `record ${n}`, n, tags: ["bench", n % 2 ? "odd" : "even"], done: n % 3 === 0 };
}

/** Raw fetch that fails on any HTTP error. */
export async function rawJson(url: string, init: RequestInit = {}): Promise<{ json: any; headers: Headers }> {
  const response = await fetch(url, { ...init, headers: { ...JSON_HEADERS, ...(init.headers as Record<string, string>) } });
  if (!response.ok) throw new Error(`${init.method ?? "GET"} ${url}: HTTP ${response.status} ${await response.text()}`);
  return { json: response.status === 204 || init.method === "HEAD" ? null : await response.json(), headers: response.headers };
}

function expect(what: string, actual: number, expected: number): void {
  if (actual !== expected) throw new Error(`${what}: got ${actual}, expected ${expected}`);
}

/** The clients of one contender set, created once (server info stays cached, as in an application). */
export function clients(url: string): { rx: KintoClient; peer: PeerType } {
  return { rx: new KintoClient(url, { headers: AUTH }), peer: new PeerClient(url, { headers: AUTH }) };
}

/** Scenario 1: every record of the collection, in memory (`pages: Infinity`). */
export async function readAll(
  who: Contender,
  c: ReturnType<typeof clients>,
  t: Target,
  limit: number | undefined,
  expected: number,
): Promise<void> {
  let n: number;
  if (who === "kinto-rx") {
    const all = await lastValueFrom(
      c.rx.bucket(t.bucket).collection(t.collection).listRecords({ pages: Infinity, limit }).pipe(allRecords()),
    );
    n = all.length;
  } else if (who === "peer") {
    n = (await c.peer.bucket(t.bucket).collection(t.collection).listRecords({ pages: Infinity, limit })).data.length;
  } else {
    const all: unknown[] = [];
    let next: string | null =
      `${t.url}/buckets/${t.bucket}/collections/${t.collection}/records?_sort=-last_modified${limit ? `&_limit=${limit}` : ""}`;
    while (next) {
      const { json, headers } = await rawJson(next);
      for (const record of json.data) all.push(record);
      next = headers.get("Next-Page");
    }
    n = all.length;
  }
  expect("records read", n, expected);
}

/**
 * Scenario 2: counts the records of the collection, streaming when the contender can.
 * `onPage` is called while what the contender holds is still reachable: after each page it sees,
 * and once at the end, before its result (the peer's array of every record) is dropped.
 */
export async function streamCount(who: Contender, url: string, t: Target, limit: number | undefined, onPage: () => void): Promise<number> {
  const c = clients(url);
  if (who === "kinto-rx") {
    const pages = c.rx.bucket(t.bucket).collection(t.collection).listRecords({ pages: Infinity, limit });
    // records() flattens page after page; a page is requested only once the previous one is consumed.
    const n = await lastValueFrom(pages.pipe(tap(onPage), records(), count()));
    onPage();
    return n;
  }
  if (who === "peer") {
    // The peer has no streaming: pages: Infinity gathers every record first.
    const { data } = await c.peer.bucket(t.bucket).collection(t.collection).listRecords({ pages: Infinity, limit });
    onPage();
    return data.length;
  }
  let n = 0;
  let next: string | null =
    `${t.url}/buckets/${t.bucket}/collections/${t.collection}/records?_sort=-last_modified${limit ? `&_limit=${limit}` : ""}`;
  while (next) {
    const { json, headers } = await rawJson(next);
    n += json.data.length;
    onPage();
    next = headers.get("Next-Page");
  }
  onPage();
  return n;
}

/** The variants of the create scenario. */
export type CreateVariant =
  "kinto-rx upload c1" | "kinto-rx upload c2" | "kinto-rx upload c4" | "kinto-rx batch" | "peer" | "peer with ids + safe" | "fetch";

/**
 * Scenario 3: creates `total` records in a new collection through `/batch`. "peer with ids + safe" is
 * the peer asked for what `uploadRecords` guarantees (a create that can be resent without
 * duplicates): each record with a client id and `safe: true`, so the peer sends the same
 * sub-requests as the upload (`PUT …/records/<id>` + `If-None-Match: *`).
 */
export async function createMany(
  who: CreateVariant,
  c: ReturnType<typeof clients>,
  t: Target,
  total: number,
  chunk: number,
): Promise<void> {
  let created = 0;
  if (who.startsWith("kinto-rx upload")) {
    const concurrency = Number(who.slice(-1));
    const source = (function* () {
      for (let i = 0; i < total; i++) yield makeRecord(i);
    })();
    const events = c.rx.bucket(t.bucket).collection(t.collection).uploadRecords(source, { concurrency });
    created = await lastValueFrom(
      events.pipe(reduce((n, e: UploadEvent) => n + (e.type === "chunk" ? e.results.filter((r) => r.status === "created").length : 0), 0)),
    );
  } else if (who === "kinto-rx batch") {
    const responses = await lastValueFrom(
      c.rx
        .bucket(t.bucket)
        .collection(t.collection)
        .batch((b) => {
          for (let i = 0; i < total; i++) b.createRecord(makeRecord(i));
        }),
    );
    created = (responses as { status: number }[]).filter((r) => r.status === 201).length;
  } else if (who === "peer" || who === "peer with ids + safe") {
    const exactlyOnce = who !== "peer";
    const responses = await c.peer
      .bucket(t.bucket)
      .collection(t.collection)
      .batch((b) => {
        // Inside the peer's batch a call only records a sub-request: its Promise is not the outcome.
        for (let i = 0; i < total; i++)
          void b.createRecord(exactlyOnce ? { ...makeRecord(i), id: randomUUID() } : makeRecord(i), { safe: exactlyOnce });
      });
    created = (responses as { status: number }[]).filter((r) => r.status === 201).length;
  } else {
    const path = `/buckets/${t.bucket}/collections/${t.collection}/records`;
    for (let start = 0; start < total; start += chunk) {
      const requests = [];
      for (let i = start; i < Math.min(total, start + chunk); i++) requests.push({ method: "POST", path, body: { data: makeRecord(i) } });
      const { json } = await rawJson(`${t.url}/batch`, { method: "POST", body: JSON.stringify({ requests }) });
      created += (json.responses as { status: number }[]).filter((r) => r.status === 201).length;
    }
  }
  expect("records created (responses)", created, total);
  // The server's own count, independently of the contender.
  const { headers } = await rawJson(`${t.url}/buckets/${t.bucket}/collections/${t.collection}/records`, { method: "HEAD" });
  expect("records on the server", Number(headers.get("Total-Records")), total);
}

/** Scenario 4: `n` sequential GETs of one record. */
export async function getMany(who: Contender, c: ReturnType<typeof clients>, t: Target, id: string, n: number): Promise<void> {
  let got = 0;
  if (who === "kinto-rx") {
    const collection = c.rx.bucket(t.bucket).collection(t.collection);
    got = await lastValueFrom(
      range(0, n).pipe(
        concatMap(() => collection.getRecord(id)),
        count((e) => e.data.id === id),
      ),
    );
  } else if (who === "peer") {
    const collection = c.peer.bucket(t.bucket).collection(t.collection);
    for (let i = 0; i < n; i++) if ((await collection.getRecord(id)).data.id === id) got++;
  } else {
    const url = `${t.url}/buckets/${t.bucket}/collections/${t.collection}/records/${id}`;
    for (let i = 0; i < n; i++) if ((await rawJson(url)).json.data.id === id) got++;
  }
  expect("records read", got, n);
}
