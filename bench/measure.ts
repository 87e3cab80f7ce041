/**
 * Measuring one run: wall time, CPU time of this process, and the peak of `rss` and `heapUsed`
 * (sampled every few milliseconds and at the end, after a full GC before the start); and, apart,
 * the peak of live memory (sampled after a full GC each time, see {@link LiveSampler}).
 */
import { spawn } from "node:child_process";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

/** What one run of one contender cost. */
export interface Sample {
  /** Wall time, ms. */
  readonly ms: number;
  /** User + system CPU time of this process, µs. */
  readonly cpuUs: number;
  /** Highest `rss` seen during the run, bytes. */
  readonly peakRss: number;
  /** Highest `heapUsed` seen during the run, minus `heapUsed` at the start, bytes. */
  readonly peakHeap: number;
}

setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc") as () => void;

/** A full garbage collection, so that a run does not pay for the garbage of the previous one. */
export function fullGc(): void {
  collect();
  collect();
}

/** Samples memory every `everyMs` until stopped; `sample()` may also be called at chosen points. */
export class MemorySampler {
  /** Highest rss seen. */
  peakRss = 0;
  /** Highest heapUsed seen. */
  peakHeap = 0;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(everyMs = 5) {
    this.sample();
    this.timer = setInterval(() => this.sample(), everyMs);
  }

  /** Records the current memory usage. */
  sample(): void {
    const { rss, heapUsed } = process.memoryUsage();
    if (rss > this.peakRss) this.peakRss = rss;
    if (heapUsed > this.peakHeap) this.peakHeap = heapUsed;
  }

  /** Stops sampling (after a last sample). */
  stop(): void {
    this.sample();
    clearInterval(this.timer);
  }
}

/**
 * Memory still reachable: `heapUsed` plus `external` (ArrayBuffers and other memory held by JS
 * objects outside the heap, such as response body chunks), read after full GCs, so that garbage
 * not yet collected does not count. One GC is not always enough: a reading can stay up to a few MB
 * too high (garbage V8 keeps one more cycle) and then drop. So GCs are repeated, at least 3 and at
 * most 8, until two readings in a row agree within 16 KiB, and the lowest reading is kept: a GC
 * never frees what is reachable, so the lowest is the closest to what is.
 */
export function liveBytes(): number {
  let lowest = Infinity;
  let previous = Infinity;
  for (let i = 1; i <= 8; i++) {
    collect();
    const { heapUsed, external } = process.memoryUsage();
    const bytes = heapUsed + external;
    if (bytes < lowest) lowest = bytes;
    if (i >= 3 && Math.abs(bytes - previous) <= 16384) break;
    previous = bytes;
  }
  return lowest;
}

/**
 * Samples {@link liveBytes} `everyMs` after the previous sample until stopped, and whenever
 * `sample()` is called at a chosen point (after each HTTP response, each page, at the end). Each
 * sample costs several full GCs, so the run is slower: time it in another run.
 */
export class LiveSampler {
  /** Live bytes when the sampler was created (the baseline). */
  readonly base: number;
  /** Highest live bytes seen. */
  peak: number;
  /** How many samples were taken. */
  count = 1;
  private timer: ReturnType<typeof setTimeout> | undefined;

  constructor(private readonly everyMs = 15) {
    this.base = this.peak = liveBytes();
    this.schedule();
  }

  /** Peak growth over the baseline, bytes. */
  get peakGrowth(): number {
    return this.peak - this.base;
  }

  /** Collects the garbage, then records what is left. */
  sample(): void {
    const bytes = liveBytes();
    this.count++;
    if (bytes > this.peak) this.peak = bytes;
  }

  /** Stops sampling (after a last sample). */
  stop(): void {
    this.sample();
    clearTimeout(this.timer);
    this.timer = undefined;
  }

  // A timeout after each sample rather than an interval: the GCs cannot take all the CPU.
  private schedule(): void {
    this.timer = setTimeout(() => {
      this.sample();
      if (this.timer !== undefined) this.schedule();
    }, this.everyMs);
  }
}

/** Runs `fn` once and measures it. */
export async function measure(fn: () => Promise<unknown>): Promise<Sample> {
  fullGc();
  const heapStart = process.memoryUsage().heapUsed;
  const sampler = new MemorySampler();
  const cpu = process.cpuUsage();
  const start = performance.now();
  await fn();
  const ms = performance.now() - start;
  const used = process.cpuUsage(cpu);
  sampler.stop();
  return { ms, cpuUs: used.user + used.system, peakRss: sampler.peakRss, peakHeap: Math.max(0, sampler.peakHeap - heapStart) };
}

/** The median of `values` (the mean of the two middle ones for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** Runs each contender `rounds` times, alternating them (the order rotates each round). */
export async function alternate<K extends string, S extends Sample = Sample>(
  contenders: readonly K[],
  rounds: number,
  run: (contender: K, round: number) => Promise<S>,
): Promise<Record<K, S[]>> {
  const samples = Object.fromEntries(contenders.map((c) => [c, [] as S[]])) as Record<K, S[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + round) % contenders.length];
      samples[contender].push(await run(contender, round));
    }
  }
  return samples;
}

/**
 * Runs one job in a new process of this same bundle (`node <bundle> <flag> <job as JSON>`), so that
 * no contender inherits another's heap or JIT feedback; resolves with what the child printed (JSON).
 */
export function inChild<T>(flag: string, job: unknown, label: string): Promise<T> {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [process.argv[1], flag, JSON.stringify(job)], { stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.once("error", fail);
    child.once("exit", (code) => (code === 0 ? ok(JSON.parse(out) as T) : fail(new Error(`${label}: child exited with ${code}`))));
  });
}
