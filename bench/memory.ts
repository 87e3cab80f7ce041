/**
 * Scenario 2: peak memory while counting the records of a collection, each contender in its own
 * child process (this same bundle, with `--stream <job>`), so that no contender inherits another's
 * heap. The child samples `rss` and `heapUsed` every 5 ms and after each page.
 */
import { spawn } from "node:child_process";
import { streamCount, type Contender, type Target } from "./contenders";
import { fullGc, MemorySampler } from "./measure";

/** What the parent asks a child to do. */
export interface StreamJob {
  /** Who counts. */
  readonly who: Contender;
  /** The collection. */
  readonly target: Target;
  /** `_limit` (page size), or undefined for the server's. */
  readonly limit?: number;
  /** How many records the collection holds. */
  readonly expected: number;
}

/** What a child reports. */
export interface StreamResult {
  /** Wall time, ms. */
  readonly ms: number;
  /** Peak rss, bytes. */
  readonly peakRss: number;
  /** Peak heapUsed minus heapUsed before the run, bytes. */
  readonly peakHeap: number;
  /** rss before the run (modules loaded, nothing fetched), bytes. */
  readonly baseRss: number;
}

/** The child's side: runs the job and prints its result as JSON. */
export async function runStreamJob(job: StreamJob): Promise<void> {
  // Load every module and open the connection first, so that the baseline is a warm process.
  await fetch(`${job.target.url}/`).then((r) => r.text());
  fullGc();
  const base = process.memoryUsage();
  const sampler = new MemorySampler(5);
  const start = performance.now();
  const n = await streamCount(job.who, job.target.url, job.target, job.limit, () => sampler.sample());
  const ms = performance.now() - start;
  sampler.stop();
  if (n !== job.expected) throw new Error(`${job.who} counted ${n}, expected ${job.expected}`);
  const result: StreamResult = { ms, peakRss: sampler.peakRss, peakHeap: sampler.peakHeap - base.heapUsed, baseRss: base.rss };
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

/** The parent's side: runs `job` in a new process and returns its result. */
export function streamInChild(job: StreamJob): Promise<StreamResult> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [process.argv[1], "--stream", JSON.stringify(job)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", fail);
    child.once("exit", (code) => (code === 0 ? ok(JSON.parse(out) as StreamResult) : fail(new Error(`${job.who} child exited with ${code}`))));
  });
}
