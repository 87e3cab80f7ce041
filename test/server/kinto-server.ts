/**
 * Starts and stops a real Kinto server (from the project's venv, scripts/kinto-venv.sh) on a free
 * port of 127.0.0.1, for tests, benchmarks and the demo, on one of two topologies:
 *
 * - `memory` (the default): the memory backends, one Python process (`pserve`, waitress);
 * - `postgresql` (`KINTO_BACKEND=postgresql`): the production shape, storage, permissions and
 *   cache on PostgreSQL, served by gunicorn with `KINTO_PG_WORKERS` (default 2) processes
 *   (test/server/kinto-postgres.ts).
 *
 * Both read test/kinto.ini (plugins, auth, page size); the `postgresql` one swaps its backends.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { freePort, heartbeat } from "./net";
import { startKintoOnPostgres } from "./kinto-postgres";

export { freePort, heartbeat } from "./net";

/** The two topologies a test run can use. */
export type KintoBackend = "memory" | "postgresql";

/** The topology of this run: `KINTO_BACKEND` (`memory` when unset). */
export function kintoBackend(): KintoBackend {
  const value = process.env.KINTO_BACKEND ?? "memory";
  if (value !== "memory" && value !== "postgresql") throw new Error(`KINTO_BACKEND must be memory or postgresql, got ${value}`);
  return value;
}

/** A running Kinto server. */
export interface KintoServer {
  /** The API root, e.g. `http://127.0.0.1:40123/v1`. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** Its topology. */
  readonly backend: KintoBackend;
  /** Python processes serving requests (1 on the memory backend). */
  readonly workers: number;
  /** Stops the server and removes its temporary files (and its database). */
  stop(): Promise<void>;
  /**
   * Kills every server process with SIGKILL and starts them again on the same port and storage
   * (a crash and a restart); only where storage survives a crash (`postgresql`).
   */
  crashAndRestart?(): Promise<void>;
}

/** How to start a server. */
export interface KintoServerOptions {
  /** `kinto.paginate_by` (default 10). */
  readonly paginateBy?: number;
  /** Extra `kinto.*` settings, e.g. `{ "kinto.backoff": "10" }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Heartbeat wait in ms (default 30 s). */
  readonly startTimeout?: number;
  /** The topology (default: {@link kintoBackend}). */
  readonly backend?: KintoBackend;
  /** gunicorn workers on `postgresql` (default `KINTO_PG_WORKERS`, else 2). */
  readonly workers?: number;
  /**
   * Where kinto_attachment writes files and the URL it gives them (default: a temporary folder and
   * `/attachments` on the server's port, where nothing serves them), for tests that serve the files.
   */
  readonly attachments?: { readonly path: string; readonly url: string };
  /**
   * Environment variables of the server process, over this process's (Kinto reads settings from
   * them, e.g. `KINTO_INCLUDES` to replace test/kinto.ini's includes). Set here, not in a test's
   * `process.env`, which jest does not pass on to child processes.
   */
  readonly env?: Readonly<Record<string, string>>;
}

// KINTO_RX_ROOT is set by scripts/run-ts.mjs, whose bundles do not live in test/server.
const ROOT = process.env.KINTO_RX_ROOT ?? resolve(__dirname, "../..");
const VENV = process.env.KINTO_VENV ?? join(ROOT, ".venv-kinto");

/** What both topologies start from: a temporary directory, a port and test/kinto.ini filled in. */
export interface ServerFiles {
  /** The temporary directory (ini, attachments). */
  readonly dir: string;
  /** The port. */
  readonly port: number;
  /** test/kinto.ini with `options.settings` added and every `%(name)s` filled in. */
  readonly ini: string;
  /** The Python venv. */
  readonly venv: string;
}

/** Writes nothing: the ini text for `options`, on `port`, with attachments under `dir`. */
export async function serverFiles(options: KintoServerOptions): Promise<ServerFiles> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kinto-rx-"));
  const extra = Object.entries(options.settings ?? {})
    .map(([k, v]) => `${k} = ${v}`)
    .join("\n");
  const vars: Record<string, string> = {
    http_port: String(port),
    paginate_by: String(options.paginateBy ?? 10),
    attachment_path: options.attachments?.path ?? join(dir, "attachments"),
    attachment_url: options.attachments?.url ?? `http://127.0.0.1:${port}/attachments`,
  };
  const ini = readFileSync(join(ROOT, "test/kinto.ini"), "utf8")
    .replace("[app:main]\n", `[app:main]\n${extra}\n`)
    .replace(/%\((\w+)\)s/g, (text, name: string) => vars[name] ?? text);
  return { dir, port, ini, venv: VENV };
}

/** Starts a Kinto server with test/kinto.ini and `options`; resolves once its heartbeat answers. */
export async function startKinto(options: KintoServerOptions = {}): Promise<KintoServer> {
  const files = await serverFiles(options);
  if ((options.backend ?? kintoBackend()) === "postgresql") return startKintoOnPostgres(files, options);
  const { dir, port } = files;
  const iniPath = join(dir, "kinto.ini");
  writeFileSync(iniPath, files.ini);
  const child = spawn(join(VENV, "bin/pserve"), [iniPath], {
    stdio: ["ignore", "ignore", "pipe"],
    env: { ...process.env, ...options.env },
  });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => {
    log = (log + chunk.toString()).slice(-4000);
  });
  const url = `http://127.0.0.1:${port}/v1`;
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 5000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await heartbeat(url, child, options.startTimeout ?? 30_000, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, port, backend: "memory", workers: 1, stop };
}
