/**
 * Runs the CLI for the tests: in process (`main` with captured streams) or as the built binary
 * (dist/cli/kinto-rx.js, as a user runs it: real pipes, real signals, a pseudo-terminal).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { PassThrough } from "node:stream";
import { main } from "../../src/cli/main";
import { AUTH, kintoUrl, raw } from "../helpers";

/** The built command-line tool. */
export const BIN = join(resolve(__dirname, "../.."), "dist/cli/kinto-rx.js");

/** The test user's credentials, as `--auth` takes them. */
export const USER_PASS = Buffer.from(AUTH.replace(/^Basic /, ""), "base64").toString();

/** A temporary directory for input files. */
export const DIR = mkdtempSync(join(tmpdir(), "kinto-rx-cli-"));
// Each test file that uses DIR removes it when it is done (jest runs afterAll hooks registered here).
afterAll(() => rmSync(DIR, { recursive: true, force: true }));

/** Writes `lines` (objects as JSON, strings as they are) to a file of DIR; returns its path. */
export function jsonl(name: string, lines: readonly (object | string)[]): string {
  const path = join(DIR, name);
  writeFileSync(path, lines.map((l) => (typeof l === "string" ? l : JSON.stringify(l))).join("\n") + "\n");
  return path;
}

/** What a run printed and returned. */
export interface Run {
  readonly code: number | null;
  readonly out: string;
  readonly err: string;
}

/** Runs `main` in process, as the test user unless `env` says otherwise. */
export async function runMain(
  argv: string[],
  options: { env?: Record<string, string>; signal?: AbortSignal; tty?: number } = {},
): Promise<Run> {
  const stdout = new PassThrough();
  const stderr = new PassThrough();
  let out = "";
  let err = "";
  stdout.on("data", (c: Buffer) => (out += c.toString()));
  stderr.on("data", (c: Buffer) => (err += c.toString()));
  if (options.tty) Object.assign(stderr, { isTTY: true, columns: options.tty });
  const code = await main(argv, {
    stdout,
    stderr: stderr as unknown as NodeJS.WriteStream,
    env: options.env ?? { KINTO_AUTH: USER_PASS },
    signal: options.signal,
  });
  return { code, out, err };
}

// A test that fails half-way must not leave a `watch` running: every child still alive is killed.
const running = new Set<ChildProcess>();
afterAll(() => {
  for (const child of running) child.kill("SIGKILL");
});

/** Starts the binary (`bash -c script` when `shell`), as the test user; resolves when it exits. */
export function start(
  args: string[],
  options: { env?: Record<string, string>; shell?: boolean } = {},
): { child: ChildProcess; done: Promise<Run>; out: () => string; err: () => string } {
  const env = { PATH: process.env.PATH ?? "", ...(options.env ?? { KINTO_AUTH: USER_PASS }) };
  const stdio: ("ignore" | "pipe")[] = ["ignore", "pipe", "pipe"];
  const child: ChildProcess = options.shell
    ? spawn("bash", ["--norc", "--noprofile", "-c", args.join(" ")], { env, stdio })
    : spawn(process.execPath, [BIN, ...args], { env, stdio });
  running.add(child);
  child.on("exit", () => running.delete(child));
  let out = "";
  let err = "";
  child.stdout!.on("data", (c: Buffer) => (out += c.toString()));
  child.stderr!.on("data", (c: Buffer) => (err += c.toString()));
  const done = new Promise<Run>((ok) => child.on("close", (code) => ok({ code, out, err })));
  return { child, done, out: () => out, err: () => err };
}

/** Runs the binary to its end. */
export function cli(args: string[], options: { env?: Record<string, string>; shell?: boolean } = {}): Promise<Run> {
  return start(args, options).done;
}

/** Waits until `condition` holds (bounded: throws after `ms`). */
export async function eventually(condition: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${ms} ms`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** Creates a bucket and collections as the test user. */
export async function collections(bucket: string, ...names: string[]): Promise<void> {
  expect((await raw("PUT", `/buckets/${bucket}`)).status).toBeLessThan(300);
  for (const name of names) expect((await raw("PUT", `/buckets/${bucket}/collections/${name}`)).status).toBeLessThan(300);
}

/** Every record of a collection, read straight from the server (not through kinto-rx). */
export async function serverRecords(bucket: string, collection: string): Promise<Record<string, any>[]> {
  const all: Record<string, any>[] = [];
  let path: string | null = `/buckets/${bucket}/collections/${collection}/records?_sort=id`;
  while (path) {
    const response = await raw("GET", path);
    if (response.status !== 200) throw new Error(`HTTP ${response.status} listing ${path}`);
    all.push(...(response.json.data as Record<string, any>[]));
    const next = response.headers.get("Next-Page");
    path = next ? next.slice(kintoUrl().length) : null;
  }
  return all;
}
