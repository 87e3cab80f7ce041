/**
 * Scenario 2: memory while counting the records of a collection, each contender in its own child
 * process (this same bundle, with `--stream <job>`), so that no contender inherits another's heap.
 * Each measurement is two children:
 * - a plain run: wall time, and `rss` and `heapUsed` sampled every 5 ms and after each page (what
 *   the process uses as it runs, garbage not yet collected included);
 * - a live run: the job once unmeasured (so that code compiled on first use is in the baseline,
 *   not in the growth), then again with `heapUsed + external` read after full GCs (see
 *   `liveBytes`) every 15 ms, at every HTTP response (global fetch wrapped before the clients
 *   exist), after each page and at the end while the contender's result is still reachable: what
 *   the program keeps alive. Its GCs slow it down, so its time is kept apart (`liveMs`).
 */
import { streamCount, type Contender, type Target } from "./contenders";
import { fullGc, inChild, LiveSampler, MemorySampler, type Sample } from "./measure";

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
  /** Whether this is the live run (full GC before each sample) rather than the plain one. */
  readonly live?: boolean;
}

/** What a child reports. */
export interface StreamResult {
  /** Wall time, ms. */
  readonly ms: number;
  /** Peak rss, bytes (plain run). */
  readonly peakRss?: number;
  /** Peak heapUsed minus heapUsed before the run, bytes (plain run). */
  readonly peakHeap?: number;
  /** rss before the run (modules loaded, nothing fetched), bytes. */
  readonly baseRss: number;
  /** Peak live memory (`heapUsed + external` after a full GC) minus its value before the run, bytes (live run). */
  readonly peakLive?: number;
  /** How many live samples were taken (live run). */
  readonly liveSamples?: number;
}

/** One measurement of scenario 2: the plain run's figures, and the live run's. */
export interface StreamSample extends Sample {
  /** rss before the run, bytes. */
  readonly baseRss: number;
  /** Peak live memory growth, bytes (see {@link StreamResult.peakLive}). */
  readonly peakLive: number;
  /** Wall time of the live run, ms (slowed down by its GCs). */
  readonly liveMs: number;
  /** How many live samples were taken. */
  readonly liveSamples: number;
}

/** Makes every call of the global fetch take a sample when its response arrives. */
function sampleEachResponse(sample: () => void): void {
  const original = globalThis.fetch;
  globalThis.fetch = (input, init) =>
    original(input, init).then((response) => {
      sample();
      return response;
    });
}

/** The child's side: runs the job and prints its result as JSON. */
export async function runStreamJob(job: StreamJob): Promise<void> {
  // Before any client exists: kinto-rx and the peer both bind the global fetch when created.
  let onResponse = () => {};
  if (job.live) sampleEachResponse(() => onResponse());
  // Load every module and open the connection first, so that the baseline is a warm process.
  await fetch(`${job.target.url}/`).then((r) => r.text());
  if (job.live) check(job, await streamCount(job.who, job.target.url, job.target, job.limit, () => {}));
  fullGc();
  const base = process.memoryUsage();
  let result: StreamResult;
  if (job.live) {
    const live = new LiveSampler(15);
    onResponse = () => live.sample();
    const start = performance.now();
    const n = await streamCount(job.who, job.target.url, job.target, job.limit, () => live.sample());
    const ms = performance.now() - start;
    live.stop();
    check(job, n);
    result = { ms, baseRss: base.rss, peakLive: live.peakGrowth, liveSamples: live.count };
  } else {
    const sampler = new MemorySampler(5);
    const start = performance.now();
    const n = await streamCount(job.who, job.target.url, job.target, job.limit, () => sampler.sample());
    const ms = performance.now() - start;
    sampler.stop();
    check(job, n);
    result = { ms, peakRss: sampler.peakRss, peakHeap: sampler.peakHeap - base.heapUsed, baseRss: base.rss };
  }
  process.stdout.write(`${JSON.stringify(result)}\n`);
}

function check(job: StreamJob, n: number): void {
  if (n !== job.expected) throw new Error(`${job.who} counted ${n}, expected ${job.expected}`);
}

/** The parent's side: runs `job` in a new process and returns its result. */
export function streamInChild(job: StreamJob): Promise<StreamResult> {
  return inChild<StreamResult>("--stream", job, job.who);
}

/** One measurement of `job`: a plain child run, then a live one. */
export async function streamSample(job: StreamJob): Promise<StreamSample> {
  const plain = await streamInChild({ ...job, live: false });
  const live = await streamInChild({ ...job, live: true });
  return {
    ms: plain.ms,
    cpuUs: 0,
    peakRss: plain.peakRss!,
    peakHeap: plain.peakHeap!,
    baseRss: plain.baseRss,
    peakLive: live.peakLive!,
    liveMs: live.ms,
    liveSamples: live.liveSamples!,
  };
}
