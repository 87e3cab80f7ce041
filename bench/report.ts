/**
 * The results table (Markdown, printed and written to the README section) and the machine it ran on.
 */
import { availableParallelism, cpus, totalmem } from "node:os";
import type { BundleSize } from "./size";

/** One line of the table. */
export interface Row {
  /** Scenario label. */
  readonly scenario: string;
  /** Contender (or variant). */
  readonly contender: string;
  /** The compared value (median). */
  readonly value: number;
  /** Its unit (`ms`, `µs CPU/req`...). */
  readonly unit: string;
  /** The peer's value in the same scenario, for the ratio. */
  readonly peer?: number;
  /** Raw fetch's value in the same scenario, for the ratio. */
  readonly fetch?: number;
  /** Peak rss, bytes (median over rounds). */
  readonly peakRss?: number;
  /** Peak heapUsed growth, bytes (median over rounds). */
  readonly peakHeap?: number;
  /** Peak live memory growth (sampled after a full GC: what the program keeps reachable), bytes (median over rounds). */
  readonly peakLive?: number;
}

const mb = (bytes?: number, digits = 1) => (bytes === undefined ? "" : `${(bytes / 1048576).toFixed(digits)} MB`);
const ratio = (value: number, base?: number) => (base ? `${(value / base).toFixed(2)}×` : "");
const num = (value: number) => (value >= 100 ? value.toFixed(0) : value >= 10 ? value.toFixed(1) : value.toFixed(2));

/** The Markdown table of `rows`. */
export function table(rows: readonly Row[]): string {
  const lines = [
    "| Scenario | Contender | Median | vs peer | vs raw fetch | Peak RSS | Peak heap Δ | Peak live heap Δ |",
    "|---|---|---:|---:|---:|---:|---:|---:|",
  ];
  for (const r of rows) {
    lines.push(
      `| ${r.scenario} | ${r.contender} | ${num(r.value)} ${r.unit} | ${ratio(r.value, r.peer)} | ${ratio(r.value, r.fetch)} | ${mb(r.peakRss)} | ${mb(r.peakHeap)} | ${mb(r.peakLive, 2)} |`,
    );
  }
  return lines.join("\n");
}

/** The Markdown table of bundle sizes. */
export function sizeTable(sizes: readonly BundleSize[]): string {
  const kb = (bytes: number) => (Number.isFinite(bytes) ? `${(bytes / 1024).toFixed(1)} KiB` : "–");
  const lines = ["| Bundle | Minified | gzip | brotli | How |", "|---|---:|---:|---:|---|"];
  for (const s of sizes) lines.push(`| ${s.name} | ${kb(s.bytes)} | ${kb(s.gzip)} | ${kb(s.brotli)} | ${s.note} |`);
  return lines.join("\n");
}

/** The Markdown table of decoding costs. */
export function decodeTable(costs: Readonly<Record<string, number>>): string {
  const lines = ["| Decoding (no HTTP) | µs CPU per call |", "|---|---:|"];
  for (const [name, us] of Object.entries(costs)) lines.push(`| ${name} | ${num(us)} |`);
  return lines.join("\n");
}

/** The machine, for the record. */
export function machine(): Record<string, string | number> {
  return {
    nproc: availableParallelism(),
    cpu: cpus()[0]?.model ?? "unknown",
    memory: `${Math.round(totalmem() / 1073741824)} GiB`,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}
