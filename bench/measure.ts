/**
 * Measuring one run: wall time, CPU time of this process, and the peak of `rss` and `heapUsed`
 * (sampled every few milliseconds and at the end, after a full GC before the start).
 */
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
export async function alternate<K extends string>(
  contenders: readonly K[],
  rounds: number,
  run: (contender: K, round: number) => Promise<Sample>,
): Promise<Record<K, Sample[]>> {
  const samples = Object.fromEntries(contenders.map((c) => [c, [] as Sample[]])) as Record<K, Sample[]>;
  for (let round = 0; round < rounds; round++) {
    for (let i = 0; i < contenders.length; i++) {
      const contender = contenders[(i + round) % contenders.length];
      samples[contender].push(await run(contender, round));
    }
  }
  return samples;
}
