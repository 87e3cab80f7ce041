/**
 * `npm run bench`: kinto-rx against the peer (the HTTP client of the `kinto` npm package) and raw
 * fetch, on a real Kinto server (bench/kinto.ini) and on a stub (bench/stub.ts). Prints Markdown
 * tables and writes bench/results/<date>.json.
 *
 * Environment: BENCH_ROUNDS (default 5), BENCH_CREATE_ROUNDS (default 1), BENCH_CREATE_RECORDS
 * (default 10000), BENCH_CPU_ROUNDS (scenario 5, default 5), BENCH_ONLY (e.g. `1,5`: only these
 * scenarios; `3` includes 3b–3d, `3b` runs only those), BENCH_PG_WORKERS (default 2: gunicorn
 * workers of scenarios 3b–3d, Kinto on PostgreSQL, bench/kinto-postgres.ts; 0 skips them),
 * BENCH_PG_RECORDS (default 3000) and BENCH_PG_ROUNDS (default 3) for 3b–3d, BENCH_PG_VARIANTS
 * (comma-separated variants of 3b, default all). Scenario 7 (the Angular build) installs
 * examples/angular when it is not (scripts/angular-app.sh).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { clients, getMany, makeRecord, rawJson, readAll, type Contender, type Target } from "./contenders";
import { cpuScenario, CPU_VARIANTS, decodeCost, runCpuJob, startStub } from "./cpu";
import type { CreateVariant } from "./contenders";
import { CREATE_VARIANTS, createClients, createScenario, shapeScenario, splitScenario, warmUp, type CreateSample } from "./create";
import { startPostgresServer } from "./kinto-postgres";
import { alternate, median, measure, type Sample } from "./measure";
import { runStreamJob, streamSample } from "./memory";
import { decodeTable, machine, sizeTable, table, type Row } from "./report";
import { startServer } from "./server";
import { angularBundleCost } from "./angular-size";
import { bundleSizes, type BundleSize } from "./size";
import { runStub } from "./stub";

const env = (name: string, fallback: number) => (process.env[name] ? Number(process.env[name]) : fallback);
const ROUNDS = env("BENCH_ROUNDS", 5);
const CPU_ROUNDS = env("BENCH_CPU_ROUNDS", 5);
const CREATE_ROUNDS = env("BENCH_CREATE_ROUNDS", 1);
const CREATE_RECORDS = env("BENCH_CREATE_RECORDS", 10_000);
const PG_WORKERS = env("BENCH_PG_WORKERS", 2);
const SPLIT_COLLECTIONS = env("BENCH_SPLIT_COLLECTIONS", 4);
const PG_RECORDS = env("BENCH_PG_RECORDS", 3000);
const PG_ROUNDS = env("BENCH_PG_ROUNDS", 3);
const PG_VARIANTS = process.env.BENCH_PG_VARIANTS
  ? (process.env.BENCH_PG_VARIANTS.split(",").map((s) => s.trim()) as CreateVariant[])
  : CREATE_VARIANTS;
for (const v of PG_VARIANTS)
  if (!CREATE_VARIANTS.includes(v)) throw new Error(`BENCH_PG_VARIANTS: unknown variant ${v} (known: ${CREATE_VARIANTS.join(", ")})`);
const ONLY = new Set((process.env.BENCH_ONLY ?? "1,2,3,4,5,6,7").split(",").map((s) => s.trim()));
const ROOT = process.env.KINTO_RX_ROOT ?? process.cwd();
const TOTAL = 20_000;
const GETS = 2_000;
const CONTENDERS: readonly Contender[] = ["kinto-rx", "peer", "fetch"];

const log = (message: string) => process.stderr.write(`[bench] ${message}\n`);

/** Table rows of one scenario from its samples (medians; ratios against "peer" and "fetch"). */
function rows(scenario: string, samples: Record<string, Sample[]>, value = (s: Sample) => s.ms, unit = "ms", peerKey = "peer"): Row[] {
  const med = (name: string, f: (s: Sample) => number) => (samples[name] ? median(samples[name].map(f)) : undefined);
  return Object.keys(samples).map((contender) => ({
    scenario,
    contender,
    value: med(contender, value)!,
    unit,
    peer: med(peerKey, value),
    fetch: med("fetch", value),
    peakRss: med(contender, (s) => s.peakRss),
    peakHeap: med(contender, (s) => s.peakHeap),
  }));
}

/** Creates the bucket and the collection of `t` and `total` records in it (raw fetch, 2 batches in flight). */
async function seed(t: Target, total: number): Promise<void> {
  await rawJson(`${t.url}/buckets/${t.bucket}`, { method: "PUT", body: "{}" });
  await rawJson(`${t.url}/buckets/${t.bucket}/collections/${t.collection}`, { method: "PUT", body: "{}" });
  let next = 0;
  const worker = async () => {
    while (next < total) {
      const start = next;
      next = Math.min(total, next + 25);
      const requests = [];
      for (let i = start; i < next; i++)
        requests.push({ method: "POST", path: `/buckets/${t.bucket}/collections/${t.collection}/records`, body: { data: makeRecord(i) } });
      await rawJson(`${t.url}/batch`, { method: "POST", body: JSON.stringify({ requests }) });
    }
  };
  await Promise.all([worker(), worker()]);
}

async function main(): Promise<void> {
  const started = Date.now();
  const all: Row[] = [];
  const results: Record<string, unknown> = {
    date: new Date().toISOString(),
    machine: machine(),
    config: { ROUNDS, CPU_ROUNDS, CREATE_ROUNDS, CREATE_RECORDS, PG_RECORDS, PG_ROUNDS, only: [...ONLY] },
  };
  const version = (name: string) =>
    (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  results.versions = { peer: version("kinto"), rxjs: version("rxjs") };

  if (ONLY.has("6")) {
    log("6. bundle sizes");
    results.sizes = await bundleSizes(ROOT);
  }
  if (ONLY.has("7")) {
    log("7. what a Kinto client adds to an Angular production build");
    results.sizes = [...((results.sizes as BundleSize[] | undefined) ?? []), ...angularBundleCost(ROOT)];
  }

  if (ONLY.has("5")) {
    const stub = await startStub();
    try {
      for (const [payload, n] of [
        ["record", 5000],
        ["list", 200],
      ] as const) {
        log(`5. client CPU per request, stub server, ${payload} × ${n}`);
        const r = await cpuScenario(stub.url, payload, n, CPU_ROUNDS);
        const label = payload === "record" ? "5. CPU/request, GET one record (stub)" : "5. CPU/request, GET a 1,000-record page (stub)";
        for (const v of CPU_VARIANTS) {
          all.push({
            scenario: label,
            contender: v,
            value: r[v].cpuUsPerRequest,
            unit: "µs CPU",
            peer: r.peer.cpuUsPerRequest,
            fetch: r.fetch.cpuUsPerRequest,
          });
        }
        results[`5-${payload}`] = r;
      }
      results.decodeCost = decodeCost();
    } finally {
      stub.child.kill();
    }
  }

  if (["1", "2", "3", "4"].some((s) => ONLY.has(s))) {
    const server = await startServer(10_000);
    try {
      const root = await rawJson(`${server.url}/`);
      (results.versions as Record<string, string>).kinto = root.json.project_version;
      const c = clients(server.url);
      let recordId = "";
      const big: Target = { url: server.url, bucket: "bench", collection: "records20k" };
      if (["1", "2", "4"].some((s) => ONLY.has(s))) {
        log(`seeding ${TOTAL} records`);
        const t = Date.now();
        await seed(big, TOTAL);
        results.seedMs = Date.now() - t;
        log(`seeded in ${results.seedMs} ms`);
      }
      if (results.seedMs !== undefined) {
        const id: string = (await rawJson(`${server.url}/buckets/bench/collections/records20k/records?_limit=1`)).json.data[0].id;
        recordId = id;
        // Warm-up (JIT, connections), not counted.
        for (const who of CONTENDERS) await getMany(who, c, big, id, 50);
      }

      for (const limit of ONLY.has("1") ? [1000, undefined] : []) {
        const label = `1. read all ${TOTAL} records, pages of ${limit ?? 10000}`;
        log(label);
        const samples = await alternate(CONTENDERS, ROUNDS, (who) => measure(() => readAll(who, c, big, limit, TOTAL)));
        all.push(...rows(label, samples));
        results[label] = samples;
      }

      for (const limit of ONLY.has("2") ? [1000, 10000] : []) {
        const label = `2. count ${TOTAL} records streaming, pages of ${limit} (child process)`;
        log(label);
        // Time, rss and heap Δ from a plain child run; peak live heap Δ from a second, GC-sampled one.
        const samples = await alternate(CONTENDERS, ROUNDS, (who) =>
          streamSample({ who, target: big, limit: limit === 10000 ? undefined : limit, expected: TOTAL }),
        );
        all.push(
          ...rows(label, samples).map((r) => ({ ...r, peakLive: median(samples[r.contender as Contender].map((s) => s.peakLive)) })),
        );
        results[label] = samples;
      }

      if (ONLY.has("4")) {
        const label = `4. ${GETS} sequential GETs of one record`;
        log(label);
        const samples = await alternate(CONTENDERS, ROUNDS, (who) => measure(() => getMany(who, c, big, recordId, GETS)));
        all.push(...rows(label, samples));
        results[label] = samples;
      }

      if (ONLY.has("3")) {
        const label = `3. create ${CREATE_RECORDS} records via /batch (25 per request)`;
        const samples = await createScenario({ url: server.url, clients: c, label, records: CREATE_RECORDS, rounds: CREATE_ROUNDS, log });
        all.push(...rows(label, samples));
        results[label] = samples;
      }
    } finally {
      await server.stop();
    }
  }

  // 3b–3d: creates on a server that processes requests in parallel (PostgreSQL, W processes).
  if ((ONLY.has("3") || ONLY.has("3b")) && PG_WORKERS > 0) {
    const where = `Kinto on PostgreSQL, ${PG_WORKERS} workers`;
    const label = `3b. create ${PG_RECORDS} records via /batch (25 per request), ${where}`;
    log(`${label}: starting PostgreSQL and gunicorn`);
    const server = await startPostgresServer({ workers: PG_WORKERS, paginateBy: 10_000 });
    if ("skipped" in server) {
      log(`3b. NOT RUN (Kinto on PostgreSQL): ${server.skipped}`);
      results["3b"] = { skipped: server.skipped };
    } else {
      try {
        // Concurrent transactions into one collection can collide on its record timestamps (409,
        // rolled back): the clients retry, and kinto-rx's retried /batch requests are counted.
        const retry = 10;
        results["3b"] = { workers: server.workers, retry, ...server.versions };
        const pg = { url: server.url, ...createClients(server.url, retry) };
        await warmUp(pg, 1000);
        // The server's CPU time beside the wall time: other load on the machine disturbs it less.
        const serverRows = (scenario: string, samples: Record<string, CreateSample[]>, peerKey?: string) =>
          Object.values(samples).every((list) => list.every((s) => s.serverCpuMs !== undefined))
            ? rows(`${scenario}: server CPU (gunicorn + PostgreSQL)`, samples, (s) => (s as CreateSample).serverCpuMs!, "ms CPU", peerKey)
            : [];
        const samples = await createScenario({ ...pg, label, records: PG_RECORDS, rounds: PG_ROUNDS, log, variants: PG_VARIANTS });
        all.push(...rows(label, samples), ...serverRows(label, samples));
        results[label] = samples;
        // 3c: where concurrency pays on this server: several collections written at once.
        const splitLabel = `3c. create ${PG_RECORDS} records in ${SPLIT_COLLECTIONS} collections via /batch, ${where}`;
        const split = await splitScenario({
          ...pg,
          label: splitLabel,
          records: PG_RECORDS,
          rounds: PG_ROUNDS,
          collections: SPLIT_COLLECTIONS,
          log,
        });
        all.push(
          ...rows(splitLabel, split, undefined, undefined, "peer, collections in parallel"),
          ...serverRows(splitLabel, split, "peer, collections in parallel"),
        );
        results[splitLabel] = split;
        // 3d: what each request shape of a create costs the server, interleaved batch by batch.
        const shapeLabel = `3d. ${PG_RECORDS} creates per request shape, raw /batch of 25, shapes interleaved batch by batch, ${where}`;
        const shapes = await shapeScenario({ url: server.url, records: PG_RECORDS, label: shapeLabel, log });
        const base = "POST, no id (the peer's batch)";
        // Raw fetch of prepared bodies: the client's memory says nothing here.
        const noMemory = (r: Row): Row => ({ ...r, peakRss: undefined, peakHeap: undefined });
        all.push(...[...rows(shapeLabel, shapes, undefined, undefined, base), ...serverRows(shapeLabel, shapes, base)].map(noMemory));
        results[shapeLabel] = shapes;
      } finally {
        await server.stop();
      }
    }
  }

  results.rows = all;
  results.totalSeconds = Math.round((Date.now() - started) / 1000);
  const out = [`kinto-rx benchmarks, ${results.date}`, JSON.stringify(results.machine), JSON.stringify(results.versions), "", table(all)];
  if (results.decodeCost) out.push("", decodeTable(results.decodeCost as Record<string, number>));
  if (results.sizes) out.push("", sizeTable(results.sizes as never));
  out.push(
    "",
    `rounds: ${ROUNDS} (creates: ${CREATE_ROUNDS}; on PostgreSQL: ${PG_ROUNDS} of ${PG_RECORDS} records); total ${results.totalSeconds} s`,
  );
  console.log(out.join("\n"));
  const dir = join(ROOT, "bench/results");
  mkdirSync(dir, { recursive: true });
  // A second run on the same day does not overwrite the first one's results.
  const day = join(dir, `${String(results.date).slice(0, 10)}.json`);
  const file = existsSync(day) ? day.replace(/\.json$/, `-${String(results.date).slice(11, 16).replace(":", "")}.json`) : day;
  writeFileSync(file, `${JSON.stringify(results, null, 2)}\n`);
  log(`results written to ${file}`);
}

const die = (error: unknown) => {
  console.error(error);
  process.exit(1);
};
if (process.argv[2] === "--stub") runStub();
else if (process.argv[2] === "--cpu") runCpuJob(JSON.parse(process.argv[3])).then(() => process.exit(0), die);
else if (process.argv[2] === "--stream") runStreamJob(JSON.parse(process.argv[3])).catch(die);
else main().then(() => process.exit(0), die);
