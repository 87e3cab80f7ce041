/**
 * Helpers of the reliability suite (test/faults/*.test.ts): a client whose every request goes
 * through the fault proxy, and raw reads/writes straight to a Kinto server (the shared one or a
 * dedicated one), never through the proxy, to assert the server's final state.
 */
import { KintoClient, type KintoClientOptions } from "../../src";
import { AUTH, kintoUrl } from "../helpers";
import { startFaultProxy, type FaultProxy, type ProxyOptions } from "./proxy";

/** The seeds every random scenario runs with. A failure names its seed: rerun with `SEEDS=<seed>`. */
export const SEEDS: number[] = process.env.SEEDS ? process.env.SEEDS.split(",").map(Number) : [11, 22, 33];

/** A raw answer: status, headers and parsed JSON. */
export interface RawResponse {
  status: number;
  headers: Headers;
  json: any;
}

/** A request straight to the server at `base` (`http://127.0.0.1:port/v1`), as the test user. */
export async function rawAt(base: string, method: string, path: string, body?: unknown): Promise<RawResponse> {
  const response = await fetch(base + path, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = method === "HEAD" ? "" : await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** Every object of a list at `base`, following Next-Page, straight from the server. */
export async function rawAll(base: string, path: string): Promise<any[]> {
  const all: any[] = [];
  let next: string | null = path;
  while (next) {
    const { status, headers, json } = await rawAt(base, "GET", next);
    if (status !== 200) throw new Error(`GET ${next}: ${status}`);
    all.push(...json.data);
    const url = headers.get("Next-Page");
    next = url ? url.slice(url.indexOf("/v1/") + 3) : null;
  }
  return all;
}

/** Creates `count` records `r00000`… (`{n}`) in `path` (a records list) with raw `/batch` requests. */
export async function seedRecords(base: string, path: string, count: number, size = 25): Promise<void> {
  const prefix = new URL(base).pathname;
  for (let start = 0; start < count; start += size) {
    const requests = Array.from({ length: Math.min(size, count - start) }, (_, i) => ({
      method: "PUT",
      path: `${prefix}${path}/r${String(start + i).padStart(5, "0")}`,
      body: { data: { n: start + i } },
    }));
    const { status, json } = await rawAt(base, "POST", "/batch", { requests });
    if (status !== 200 || json.responses.some((r: { status: number }) => r.status >= 300)) throw new Error(`seeding failed: ${status}`);
  }
}

/** Starts a proxy in front of the server at `base` (an API root with version). */
export function proxyFor(base: string, options: Omit<ProxyOptions, "upstream">): Promise<FaultProxy> {
  return startFaultProxy({ upstream: new URL(base).origin, ...options });
}

/** A client of the server at `base`, every request through `proxy`, as the test user. */
export function proxiedClient(proxy: FaultProxy, options: KintoClientOptions = {}, base: string = kintoUrl()): KintoClient {
  return new KintoClient(proxy.url + new URL(base).pathname, { ...options, headers: { Authorization: AUTH, ...options.headers } });
}

/** Resolves once `condition` holds (checked every 10 ms); fails after `ms`. */
export async function until(condition: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Waits `ms` milliseconds. */
export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** The faults of the random schedules: every transient failure but delays and Backoff. */
export const TRANSIENT: ProxyOptions["faults"] = ["503", "reset-before", "reset-after", "truncate", "invalid-json"];
