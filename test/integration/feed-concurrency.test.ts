/**
 * The live feed on a busy collection, against the run's topology (on PostgreSQL with several
 * gunicorn workers, concurrent transactions commit out of timestamp order): 4 writers send batches
 * of creates, updates and deletes for `FEED_STRESS_MS` (30 s on PostgreSQL, 8 s on the memory
 * backend) while three feeds watch. Each feed's emissions are compared with the history plugin's
 * entries (every committed change: those of writes rolled back by a later 409 in their batch
 * excluded, which the plugin logs too) and the server's final state. Counts go to stderr.
 * `FEED_WINDOW=0` runs the feeds without their window, to see what it prevents.
 */
import type { Subscription } from "rxjs";
import { KintoClient, type Change, type KintoRecord, type WatchOptions } from "../../src";
import { AUTH } from "../helpers";
import { kintoBackend, startKinto, type KintoServer } from "../server/kinto-server";

const BID = "stress";
const CID = "busy";
const DURATION = Number(process.env.FEED_STRESS_MS ?? (kintoBackend() === "postgresql" ? 30_000 : 8_000));
const WRITERS = 4;

let server: KintoServer;

async function rawJson(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(server.url + path, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** Every object of a list, Next-Page followed. */
async function all(path: string): Promise<any[]> {
  const out: any[] = [];
  let next: string | null = path;
  while (next) {
    const { status, headers, json } = await rawJson("GET", next);
    if (status !== 200) throw new Error(`GET ${next}: ${status}`);
    out.push(...json.data);
    const url = headers.get("Next-Page");
    next = url ? url.slice(url.indexOf("/v1/") + 3) : null;
  }
  return out;
}

beforeAll(async () => {
  server = await startKinto({ paginateBy: 200 });
  expect((await rawJson("PUT", `/buckets/${BID}`)).status).toBe(201);
  expect((await rawJson("PUT", `/buckets/${BID}/collections/${CID}`)).status).toBe(201);
}, 120_000);

afterAll(() => server?.stop());

/** One writer: batches of 5 operations (creates, updates and deletes of its own records) until `end`. */
async function writer(w: number, end: number, stats: Stats): Promise<void> {
  const mine: string[] = [];
  let n = 0;
  const records = `/buckets/${BID}/collections/${CID}/records`;
  while (Date.now() < end) {
    const requests = [];
    for (let i = 0; i < 5; i++) {
      const roll = (w * 7 + n * 13 + i * 29) % 10;
      if (mine.length > 3 && roll < 3)
        requests.push({ method: "PATCH", path: `${records}/${mine[(n + i) % mine.length]}`, body: { data: { n: ++n } } });
      else if (mine.length > 3 && roll < 4)
        requests.push({ method: "DELETE", path: `${records}/${mine.splice((n + i) % mine.length, 1)[0]}` });
      else requests.push({ method: "POST", path: records, body: { data: { writer: w, n: ++n } } });
    }
    const { status, json } = await rawJson("POST", "/batch", { requests });
    stats.batches++;
    if (status !== 200) continue;
    // Kinto aborts the batch's transaction at a 409 and carries on: what came before the last 409
    // was rolled back, though answered 2xx (and the history plugin still logs it).
    const last409 = json.responses.map((r: { status: number }) => r.status).lastIndexOf(409);
    json.responses.forEach((response: { status: number; body: any }, i: number) => {
      if (response.status === 409) stats.conflicts++;
      if (i < last409 && response.status < 300) stats.rolledBack.add(`${response.body.data.id}@${response.body.data.last_modified}`);
      else if (response.status === 201) mine.push(response.body.data.id);
    });
  }
}

interface Stats {
  batches: number;
  conflicts: number;
  /** `id@last_modified` of the writes answered 2xx in a batch, but rolled back by a later 409. */
  readonly rolledBack: Set<string>;
}

interface Seen {
  readonly changes: Change<KintoRecord>[];
  readonly subscription: Subscription;
}

it(
  `every committed change reaches every feed once, final states equal (${WRITERS} writers, ${DURATION / 1000} s)`,
  async () => {
    const client = new KintoClient(server.url, { headers: { Authorization: AUTH } });
    const collection = client.bucket(BID).collection(CID);
    const window = process.env.FEED_WINDOW === undefined ? undefined : Number(process.env.FEED_WINDOW);
    const feeds: [string, WatchOptions][] = [
      ["interval 0", { interval: 0, window }],
      ["interval 100, limit 50", { interval: 100, limit: 50, window }],
      ["interval 1000", { interval: 1000, window }],
    ];
    const { headers } = await rawJson("HEAD", `/buckets/${BID}/collections/${CID}/records`);
    const start = Number(JSON.parse(headers.get("ETag")!));
    const seen: Seen[] = feeds.map(([, options], i) => {
      const changes: Change<KintoRecord>[] = [];
      // One feed starts from the list's timestamp by itself (a HEAD), the others from `since`.
      const subscription = collection.watchRecords(i === 0 ? options : { ...options, since: start }).subscribe({
        next: (change) => changes.push(change),
        error: (error) => changes.push({ id: "FEED-ERROR", last_modified: -1, error: String(error) } as never),
      });
      return { changes, subscription };
    });
    await new Promise((r) => setTimeout(r, 1500)); // every feed has started

    const stats: Stats = { batches: 0, conflicts: 0, rolledBack: new Set() };
    const end = Date.now() + DURATION;
    await Promise.all(Array.from({ length: WRITERS }, (_, w) => writer(w, end, stats)));
    // Long enough for the slowest feed to poll, and for every window re-read to run (1.5 × window).
    await new Promise((r) => setTimeout(r, 1.5 * (window ?? 5000) + 3000));
    for (const feed of seen) feed.subscription.unsubscribe();

    // The truth, from the server: every committed version (history), and each record's final state.
    const history = (await all(`/buckets/${BID}/history?resource_name=record&collection_id=${CID}&_sort=last_modified`)).filter(
      (entry) =>
        entry.target.data.last_modified > start && !stats.rolledBack.has(`${entry.target.data.id}@${entry.target.data.last_modified}`),
    );
    const final = await all(`/buckets/${BID}/collections/${CID}/records?_since=${start}`);
    expect(history.length).toBeGreaterThan(100);

    const report: string[] = [];
    const results: object[] = [];
    seen.forEach(({ changes }, i) => {
      const errors = changes.filter((c) => c.id === "FEED-ERROR");
      const latest = new Map<string, Change<KintoRecord>>();
      const keys = new Set<string>();
      let duplicates = 0;
      let outOfOrder = 0;
      let late = 0;
      let newest = 0;
      for (const change of changes) {
        const key = `${change.id}@${change.last_modified}`;
        if (keys.has(key)) duplicates++;
        keys.add(key);
        const before = latest.get(change.id);
        if (before && before.last_modified >= change.last_modified) outOfOrder++;
        latest.set(change.id, change);
        if (change.last_modified < newest) late++;
        newest = Math.max(newest, change.last_modified);
      }
      const skipped = history.filter(
        (entry) => !((latest.get(entry.target.data.id)?.last_modified ?? -1) >= entry.target.data.last_modified),
      ).length;
      const wrongFinal = final.filter((record) => {
        const last = latest.get(record.id);
        return (
          !last ||
          last.last_modified !== record.last_modified ||
          Boolean((last as { deleted?: boolean }).deleted) !== Boolean(record.deleted)
        );
      }).length;
      const extra = [...latest.values()].filter((c) => !final.some((r) => r.id === c.id)).length;
      report.push(
        `${feeds[i][0]}: emitted ${changes.length}, late ${late}, skipped ${skipped}, final state wrong ${wrongFinal}, duplicates ${duplicates}, out of order ${outOfOrder}, unknown ${extra}`,
      );
      results.push({ errors, skipped, wrongFinal, duplicates, outOfOrder, extra });
      if (skipped && process.env.FEED_DEBUG) {
        const finalById = new Map(final.map((r) => [r.id, r]));
        for (const entry of history
          .filter((e) => !((latest.get(e.target.data.id)?.last_modified ?? -1) >= e.target.data.last_modified))
          .slice(0, 10)) {
          report.push(
            `  skipped ${entry.action} ${entry.target.data.id}@${entry.target.data.last_modified}; emitted ${latest.get(entry.target.data.id)?.last_modified}; server ${finalById.get(entry.target.data.id)?.last_modified}`,
          );
        }
      }
    });
    process.stderr.write(
      `[feed-concurrency] ${kintoBackend()}, ${server.workers} worker(s), ${WRITERS} writers, ${DURATION} ms: ` +
        `${history.length} committed changes, ${final.length} records, ${stats.batches} batches, ${stats.conflicts} 409 items, ${stats.rolledBack.size} rolled-back writes\n  ` +
        report.join("\n  ") +
        "\n",
    );
    for (const result of results) expect(result).toEqual({ errors: [], skipped: 0, wrongFinal: 0, duplicates: 0, outOfOrder: 0, extra: 0 });
  },
  DURATION + 120_000,
);
