/**
 * `npm run bench:cli`: the command-line tool, as a user runs it (the built dist/cli/kinto-rx.js,
 * one process per run), against a real Kinto.
 *
 * 1. Peak RSS of `kinto-rx dump` for a bucket of SMALL records and one of LARGE (5 times more):
 *    a dump holds one page (1,000 records) and its permissions at a time, so its peak must not
 *    grow with the record count. The records are loaded with `kinto-rx load` from generated dumps.
 * 2. `kinto-rx load` of a bucket of 3 collections, `--parallel 1` against `--parallel 3`, on the
 *    memory backend and on PostgreSQL with 2 gunicorn workers (when PostgreSQL is installed).
 *
 * Sizes: BENCH_CLI_SMALL (default 4,000), BENCH_CLI_LOAD (records per collection, default 1,500).
 * BENCH_CLI_PARTS=dump or =load runs one part only (default both).
 * The machine is shared: read the figures side by side, as ratios.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, createWriteStream } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startServer, type BenchServer } from "./server";
import { startPostgresServer } from "./kinto-postgres";

const ROOT = process.env.KINTO_RX_ROOT ?? process.cwd();
const BIN = join(ROOT, "dist/cli/kinto-rx.js");
const AUTH = "bench:cli-bench";
const SMALL = Number(process.env.BENCH_CLI_SMALL ?? 4000);
const LARGE = SMALL * 5;
const PER_COLLECTION = Number(process.env.BENCH_CLI_LOAD ?? 1500);
const PARTS = (process.env.BENCH_CLI_PARTS ?? "dump,load").split(",");
const DIR = mkdtempSync(join(tmpdir(), "kinto-rx-bench-cli-"));

/** A run of the CLI: exit code, wall time, peak RSS (from the process itself, at exit). */
interface Run {
  readonly code: number | null;
  readonly ms: number;
  readonly peakRssMb: number;
  readonly err: string;
}

/** Runs the binary; stdout goes to `stdoutFile` (or nowhere). */
function run(args: string[], stdoutFile?: string): Promise<Run> {
  const rssFile = join(DIR, `rss-${Math.random().toString(36).slice(2)}`);
  // A preload that writes the process's peak RSS (kB) when it exits.
  const preload = join(DIR, "rss.cjs");
  writeFileSync(
    preload,
    `process.on("exit", () => require("node:fs").writeFileSync(process.env.RSS_FILE, String(process.resourceUsage().maxRSS)));`,
  );
  const started = Date.now();
  const child = spawn(process.execPath, ["--require", preload, BIN, ...args], {
    env: { PATH: process.env.PATH ?? "", KINTO_AUTH: AUTH, RSS_FILE: rssFile },
    stdio: ["ignore", "pipe", "pipe"],
  });
  if (stdoutFile) child.stdout.pipe(createWriteStream(stdoutFile));
  else child.stdout.resume();
  let err = "";
  child.stderr.on("data", (c: Buffer) => (err = (err + c.toString()).slice(-2000)));
  return new Promise((resolve) =>
    child.on("close", (code) => {
      const kb = Number(readFileSync(rssFile, "utf8"));
      resolve({ code, ms: Date.now() - started, peakRssMb: kb / 1024, err });
    }),
  );
}

/** A dump file of bucket `bucket` with collections of `sizes` records each. */
function generateDump(name: string, bucket: string, sizes: Record<string, number>): string {
  const path = join(DIR, name);
  const lines = [JSON.stringify({ kind: "bucket", id: bucket, data: { id: bucket }, permissions: {} })];
  for (const [collection, size] of Object.entries(sizes)) {
    lines.push(JSON.stringify({ kind: "collection", id: collection, data: { id: collection }, permissions: {} }));
    for (let n = 0; n < size; n++) {
      const id = `${collection}-${String(n).padStart(7, "0")}`;
      lines.push(
        JSON.stringify({
          kind: "record",
          collection,
          data: { id, title: `record ${n} of ${collection}`, n, tags: ["a", "b", "c"], body: "x".repeat(200) },
          permissions: n % 10 === 0 ? { read: ["system.Everyone"] } : {},
        }),
      );
    }
  }
  writeFileSync(path, lines.join("\n") + "\n");
  return path;
}

async function check(r: Run, what: string): Promise<Run> {
  if (r.code !== 0) throw new Error(`${what}: exit ${r.code}\n${r.err}`);
  return r;
}

async function dumpMemory(server: BenchServer): Promise<void> {
  console.log(`\n## 1. kinto-rx dump: peak RSS, ${SMALL} vs ${LARGE} records (memory backend, pages of 1000)\n`);
  const rows: string[] = [];
  for (const size of [SMALL, LARGE]) {
    const bucket = `dump${size}`;
    const file = generateDump(`seed-${size}.jsonl`, bucket, { records: size });
    await check(await run(["load", server.url, file, "--concurrency", "2"]), `seeding ${size}`);
    const out = join(DIR, `dump-${size}.jsonl`);
    const r = await check(await run(["dump", server.url, bucket], out), `dump ${size}`);
    const lines = readFileSync(out, "utf8").split("\n").filter(Boolean).length;
    rows.push(`| ${size} | ${lines} | ${r.peakRssMb.toFixed(1)} MB | ${(r.ms / 1000).toFixed(1)} s |`);
    rmSync(out);
  }
  console.log("| records | dump lines | peak RSS | wall time |\n|---|---|---|---|\n" + rows.join("\n"));
}

async function parallelLoad(server: BenchServer, label: string): Promise<void> {
  const sizes = { alpha: PER_COLLECTION, beta: PER_COLLECTION, gamma: PER_COLLECTION };
  const rows: string[] = [];
  for (const parallel of [1, 3]) {
    const bucket = `load-p${parallel}`;
    const file = generateDump(`load-p${parallel}.jsonl`, bucket, sizes);
    const r = await check(await run(["load", server.url, file, "--parallel", String(parallel)]), `load --parallel ${parallel}`);
    rows.push(`| ${label} | ${parallel} | ${(r.ms / 1000).toFixed(1)} s | ${r.peakRssMb.toFixed(1)} MB |`);
  }
  const [one, three] = rows.map((row) => Number(/\| ([\d.]+) s \|/.exec(row)![1]));
  console.log(rows.join("\n") + `\n| ${label} | ratio 1 / 3 | ${(one / three).toFixed(2)}× | |`);
}

async function main(): Promise<void> {
  const memory = await startServer(1000);
  try {
    if (PARTS.includes("dump")) await dumpMemory(memory);
    if (!PARTS.includes("load")) return;
    console.log(`\n## 2. kinto-rx load of 3 collections of ${PER_COLLECTION} records: --parallel 1 vs 3\n`);
    console.log("| backend | --parallel | wall time | peak RSS |\n|---|---|---|---|");
    await parallelLoad(memory, "memory");
  } finally {
    await memory.stop();
  }
  if (!PARTS.includes("load")) return;
  const postgres = await startPostgresServer({ workers: 2, paginateBy: 1000 });
  if ("skipped" in postgres) {
    console.log(`| PostgreSQL | skipped: ${postgres.skipped} | | |`);
    return;
  }
  try {
    await parallelLoad(postgres, `PostgreSQL, ${postgres.workers} workers`);
  } finally {
    await postgres.stop();
  }
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => rmSync(DIR, { recursive: true, force: true }));
