/**
 * Shared helpers of the integration tests: a client per test file, in its own bucket, and raw
 * server reads that do not go through kinto-rx (to assert the server's state independently).
 */
import { take, type Observable } from "rxjs";
import { KintoClient, type KintoClientOptions } from "../src";

/** The URL of the test server (set by globalSetup). */
export function kintoUrl(): string {
  const url = process.env.KINTO_URL;
  if (!url) throw new Error("KINTO_URL is not set: run the tests through jest's globalSetup.");
  return url;
}

/** Basic auth of the test user. */
export const AUTH = "Basic " + Buffer.from("kinto-rx-tester:s3cret-passw0rd").toString("base64");

/** A client of the test server, authenticated as the test user. */
export function testClient(options: KintoClientOptions = {}): KintoClient {
  return new KintoClient(kintoUrl(), { ...options, headers: { Authorization: AUTH, ...options.headers } });
}

/** A bucket name unique to this test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${Date.now().toString(36)}-${Math.random().toString(36).slice(2, 8)}`;
}

/** GET/HEAD straight to the server with the test user's credentials; returns status, headers and JSON. */
export async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; headers: Headers; json: any }> {
  const response = await fetch(kintoUrl() + path, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = method === "HEAD" ? "" : await response.text();
  return { status: response.status, headers: response.headers, json: text ? JSON.parse(text) : undefined };
}

/** A fetch that counts the requests it sends (by method), delegating to the global fetch. */
export function countingFetch(): { fetch: typeof fetch; count: (method?: string) => number; urls: string[] } {
  const urls: string[] = [];
  const methods: string[] = [];
  const counted = ((input: string, init?: RequestInit) => {
    urls.push(String(input));
    methods.push(init?.method ?? "GET");
    return fetch(input, init);
  }) as typeof fetch;
  return { fetch: counted, count: (method) => (method ? methods.filter((m) => m === method).length : methods.length), urls };
}

/**
 * `count` records on the memory backend, a fifth of them on PostgreSQL, where each write costs the
 * server several milliseconds: what a test proves with 5,000 records it proves with 1,000 there,
 * and the run stays short.
 */
export function sized(count: number): number {
  return process.env.KINTO_BACKEND === "postgresql" ? Math.ceil(count / 5) : count;
}

/** The value a replaying Observable (`client.backoff$`) holds now, read synchronously. */
export function current<T>(source: Observable<T>): T {
  let value: T | undefined;
  source.pipe(take(1)).subscribe((v) => (value = v));
  return value as T;
}
