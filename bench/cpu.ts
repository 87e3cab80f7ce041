/**
 * Scenario 5: the client's own CPU per request, against the stub server (bench/stub.ts, a child
 * process): kinto-rx with its default validation, with a user codec, and without decoding
 * (`client.execute`, the transport + retry links only), the peer, and raw fetch, bare and with an
 * AbortSignal (what any cancellable client passes to fetch), and that inside a bare `new Observable`
 * (the least any Observable client costs). Each measurement runs in a process of
 * its own (`--cpu <job>`): in a shared process, every variant's calls into undici and rxjs shape
 * the JIT's feedback for the others (measured: kinto-rx alone 270 µs, after the other variants 374 µs).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import * as t from "io-ts";
import { concatMap, count, lastValueFrom, Observable, range } from "rxjs";
import { KintoClient, KintoObject, KintoObjectMeta, decodeWith, envelope, list } from "../src";
import { AUTH, PeerClient } from "./contenders";
import { alternate, inChild, median, measure, type Sample } from "./measure";
import { CANNED, STUB_PATHS } from "./stub";

/** The variants of scenario 5. */
export const CPU_VARIANTS = [
  "kinto-rx",
  "kinto-rx typed codec",
  "kinto-rx no decode",
  "peer",
  "fetch",
  "fetch + AbortSignal",
  "Observable of fetch",
] as const;
/** One variant of scenario 5. */
export type CpuVariant = (typeof CPU_VARIANTS)[number];

/** The user codec of the "typed codec" variant (the stub's records match it). */
const Item = t.type({ title: t.string, n: t.number, tags: t.array(t.string), done: t.boolean });

/** Starts the stub in a child process (this same bundle, with `--stub`). */
export async function startStub(): Promise<{ url: string; child: ChildProcess }> {
  const child = spawn(process.execPath, [process.argv[1], "--stub"], { stdio: ["ignore", "pipe", "inherit"] });
  const line = await new Promise<string>((ok, fail) => {
    createInterface({ input: child.stdout! }).once("line", ok);
    child.once("exit", (code) => fail(new Error(`stub exited with ${code}`)));
  });
  return { url: `http://127.0.0.1:${JSON.parse(line).port}/v1`, child };
}

/** Runs `n` sequential requests of `payload` with `variant`. */
async function requests(url: string, variant: CpuVariant, payload: "record" | "list", n: number): Promise<void> {
  const { bucket, collection, record } = STUB_PATHS;
  const path = `/buckets/${bucket}/collections/${collection}/records${payload === "record" ? `/${record}` : ""}`;
  const expected = payload === "record" ? 1 : CANNED.list.data.length;
  let ok = 0;
  if (variant === "fetch" || variant === "fetch + AbortSignal") {
    const href = url + path + (payload === "list" ? "?_sort=-last_modified" : "");
    const headers = { ...AUTH, Accept: "application/json", "Content-Type": "application/json" };
    for (let i = 0; i < n; i++) {
      const signal = variant === "fetch" ? undefined : new AbortController().signal;
      const response = await fetch(href, { headers, signal });
      const json = await response.json();
      if (response.ok && (payload === "record" ? json.data.id === record : json.data.length === expected)) ok++;
    }
  } else if (variant === "Observable of fetch") {
    // The least any Observable client does: fetch with an AbortSignal inside `new Observable`,
    // aborted on unsubscribe, run through the same concatMap as kinto-rx's variants.
    const href = url + path + (payload === "list" ? "?_sort=-last_modified" : "");
    const headers = { ...AUTH, Accept: "application/json", "Content-Type": "application/json" };
    const one = () =>
      new Observable<{ data: { id?: string; length?: number } }>((subscriber) => {
        const controller = new AbortController();
        let settled = false;
        fetch(href, { headers, signal: controller.signal })
          .then((response) => response.json())
          .then(
            (json) => ((settled = true), subscriber.next(json), subscriber.complete()),
            (error: unknown) => subscriber.error(error),
          );
        return () => settled || controller.abort();
      });
    ok = await lastValueFrom(
      range(0, n).pipe(
        concatMap(one),
        count((json) => (payload === "record" ? json.data.id === record : json.data.length === expected)),
      ),
    );
  } else if (variant === "peer") {
    const c = new PeerClient(url, { headers: AUTH }).bucket(bucket).collection(collection);
    for (let i = 0; i < n; i++) {
      if (payload === "record" ? (await c.getRecord(record)).data.id === record : (await c.listRecords()).data.length === expected) ok++;
    }
  } else {
    const client = new KintoClient(url, { headers: AUTH });
    const c = client.bucket(bucket).collection(collection, variant === "kinto-rx typed codec" ? { codec: Item } : {});
    const query = payload === "list" ? { _sort: "-last_modified" } : undefined;
    const one = () =>
      variant === "kinto-rx no decode"
        ? // The request through the client's chain without any codec (what "no validation" costs at best).
          client.request({ method: "GET", path, query })
        : payload === "record"
          ? c.getRecord(record)
          : c.listRecords();
    ok = await lastValueFrom(range(0, n).pipe(concatMap(one), count()));
  }
  if (ok !== n) throw new Error(`${variant}: ${ok} of ${n} requests answered as expected`);
}

/** Per-request medians of one variant. */
export interface CpuResult {
  /** Client CPU per request, µs (median over rounds). */
  readonly cpuUsPerRequest: number;
  /** Wall time per request, µs (median over rounds). */
  readonly usPerRequest: number;
  /** The raw samples. */
  readonly samples: Sample[];
}

/** One measurement of scenario 5, run by a child process. */
export interface CpuJob {
  /** The stub's API root. */
  readonly url: string;
  /** Who runs. */
  readonly variant: CpuVariant;
  /** What is requested. */
  readonly payload: "record" | "list";
  /** Sequential requests measured (after `n / 4` not measured: JIT, connections). */
  readonly n: number;
}

/** The child's side: warms up, measures `job.n` requests and prints the sample as JSON. */
export async function runCpuJob(job: CpuJob): Promise<Sample> {
  await requests(job.url, job.variant, job.payload, Math.max(1, job.n >> 2));
  const sample = await measure(() => requests(job.url, job.variant, job.payload, job.n));
  process.stdout.write(`${JSON.stringify(sample)}\n`);
  return sample;
}

/** Scenario 5 for one payload; the variants alternate, `rounds` times, each run in a new process. */
export async function cpuScenario(
  url: string,
  payload: "record" | "list",
  n: number,
  rounds: number,
  variants: readonly CpuVariant[] = CPU_VARIANTS,
): Promise<Record<CpuVariant, CpuResult>> {
  const samples = await alternate(variants, rounds, (variant) =>
    inChild<Sample>("--cpu", { url, variant, payload, n } satisfies CpuJob, variant),
  );
  const result = {} as Record<CpuVariant, CpuResult>;
  for (const variant of variants) {
    const s = samples[variant];
    result[variant] = {
      cpuUsPerRequest: median(s.map((x) => x.cpuUs)) / n,
      usPerRequest: (median(s.map((x) => x.ms)) * 1000) / n,
      samples: s,
    };
  }
  return result;
}

/**
 * The cost of decoding alone (the canned payloads, no HTTP), µs per decode: with the codec built
 * once, and built on every call as the operations do today (`envelope(codec)`, `t.type({data: …})`).
 */
export function decodeCost(): Record<string, number> {
  const time = (iterations: number, fn: () => unknown): number => {
    for (let i = 0; i < Math.min(iterations, 50); i++) fn();
    const cpu = process.cpuUsage();
    for (let i = 0; i < iterations; i++) fn();
    const used = process.cpuUsage(cpu);
    return (used.user + used.system) / iterations;
  };
  const recordCodec = envelope(KintoObject);
  const listCodec = list(KintoObject);
  const recordText = JSON.stringify(CANNED.record);
  const listText = JSON.stringify(CANNED.list);
  return {
    "record: JSON.parse": time(20_000, () => JSON.parse(recordText)),
    "record: decode, codec built once": time(20_000, () => decodeWith(recordCodec, CANNED.record, "r")),
    "record: decode, codec built per call": time(20_000, () => decodeWith(envelope(KintoObject), CANNED.record, "r")),
    "list of 1000: JSON.parse": time(200, () => JSON.parse(listText)),
    "list of 1000: decode KintoObject": time(200, () => decodeWith(listCodec, CANNED.list, "l")),
    "list of 1000: decode typed codec": time(200, () => decodeWith(list(t.intersection([KintoObjectMeta, Item])), CANNED.list, "l")),
  };
}
