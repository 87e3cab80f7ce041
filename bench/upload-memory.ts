/**
 * `npm run bench:upload`: peak memory of `uploadRecords` pulling 1,000,000 generated records, with
 * 4 batches in flight, against an in-process stand-in for `/batch` (answers 201 for every record on
 * the next macrotask: no server in the way, so what grows is the client's own memory). Each mode runs
 * in a child process of its own:
 * - `iterable`: the generator itself is the source (pulled one chunk per free slot);
 * - `observable`: the same generator wrapped in `from()`, which pushes everything at once (the
 *   documented cost of an Observable source: it cannot be paused).
 */
import { spawnSync } from "node:child_process";
import { defer, from, lastValueFrom, Observable, type Observable as Obs } from "rxjs";
import { KintoClient } from "../src";
import type { KintoRequest } from "../src/http/request";
import type { KintoResponse } from "../src/http/transport";
import { fullGc, MemorySampler } from "./measure";

const RECORDS = Number(process.env.BENCH_UPLOAD_RECORDS ?? 1_000_000);

function* generate(count: number) {
  for (let n = 0; n < count; n++) yield { n, title: `record number ${n}`, tags: ["a", "b"] };
}

function answer(request: KintoRequest): Obs<KintoResponse> {
  return new Observable<KintoResponse>((subscriber) => {
    const handle = setImmediate(() => {
      const requests = (request.body as { requests: { path: string; body: { data: { id: string } } }[] }).requests;
      const responses = requests.map((r) => ({ status: 201, path: r.path, body: { data: { ...r.body.data, last_modified: 1 } } }));
      subscriber.next({ status: 200, headers: new Headers(), json: { responses } });
      subscriber.complete();
    });
    return () => clearImmediate(handle);
  });
}

async function child(mode: string): Promise<void> {
  const client = new KintoClient("http://kinto.invalid/v1");
  Object.assign(client, {
    fetchServerSettings: () => from([{ batch_max_requests: 25, readonly: false }]),
    execute: (request: KintoRequest) => defer(() => answer(request)),
  });
  const collection = client.bucket("b").collection("c");
  fullGc();
  const base = process.memoryUsage().heapUsed;
  const sampler = new MemorySampler(5);
  const started = performance.now();
  const source = mode === "iterable" ? generate(RECORDS) : from(generate(RECORDS));
  const last = await lastValueFrom(collection.uploadRecords(source, { concurrency: 4 }));
  sampler.stop();
  if (last.progress.confirmed !== RECORDS) throw new Error(`confirmed ${last.progress.confirmed} of ${RECORDS}`);
  const result = {
    mode,
    records: RECORDS,
    ms: Math.round(performance.now() - started),
    peakHeapMB: +((sampler.peakHeap - base) / 2 ** 20).toFixed(1),
    peakRssMB: +(sampler.peakRss / 2 ** 20).toFixed(1),
  };
  process.stdout.write(JSON.stringify(result) + "\n");
}

function parent(): void {
  console.log(`uploadRecords, ${RECORDS.toLocaleString("en")} generated records, concurrency 4, chunks of 25`);
  console.log("| source | time | peak heap Δ | peak RSS |\n|---|---:|---:|---:|");
  for (const mode of ["iterable", "observable"]) {
    const run = spawnSync(process.execPath, ["--expose-gc", process.argv[1], "--child", mode], {
      encoding: "utf8",
      stdio: ["ignore", "pipe", "inherit"],
    });
    if (run.status !== 0) throw new Error(`${mode} child failed`);
    const r = JSON.parse(run.stdout) as { ms: number; peakHeapMB: number; peakRssMB: number };
    console.log(
      `| ${mode === "iterable" ? "generator (pulled)" : "from(generator) (pushed)"} | ${(r.ms / 1000).toFixed(1)} s | ${r.peakHeapMB} MB | ${r.peakRssMB} MB |`,
    );
  }
}

const at = process.argv.indexOf("--child");
if (at >= 0)
  void child(process.argv[at + 1]).catch((e) => {
    console.error(e);
    process.exit(1);
  });
else parent();
