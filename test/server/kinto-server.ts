/**
 * Starts and stops a real Kinto server (from the project's venv, scripts/kinto-venv.sh) on a free
 * port of 127.0.0.1, for tests, benchmarks and the demo.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";

/** A running Kinto server. */
export interface KintoServer {
  /** The API root, e.g. `http://127.0.0.1:40123/v1`. */
  readonly url: string;
  /** The port. */
  readonly port: number;
  /** Stops the server and removes its temporary files. */
  stop(): Promise<void>;
}

/** How to start a server. */
export interface KintoServerOptions {
  /** `kinto.paginate_by` (default 10). */
  readonly paginateBy?: number;
  /** Extra `kinto.*` settings, e.g. `{ "kinto.backoff": "10" }`. */
  readonly settings?: Readonly<Record<string, string>>;
  /** Heartbeat wait in ms (default 30 s). */
  readonly startTimeout?: number;
}

// KINTO_RX_ROOT is set by scripts/run-ts.mjs, whose bundles do not live in test/server.
const ROOT = process.env.KINTO_RX_ROOT ?? resolve(__dirname, "../..");
const VENV = process.env.KINTO_VENV ?? join(ROOT, ".venv-kinto");

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const server = createServer();
    server.unref();
    server.on("error", fail);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      const port = typeof address === "object" && address ? address.port : 0;
      server.close(() => ok(port));
    });
  });
}

/**
 * Resolves once `url`'s `/__heartbeat__` answers (also used by the benchmarks' servers); fails when
 * `child` exits first or after `timeout` ms, with the end of its output.
 */
export async function heartbeat(url: string, child: ChildProcess, timeout: number, output: () => string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`Kinto exited with ${child.exitCode}:\n${output()}`);
    try {
      const response = await fetch(`${url}/__heartbeat__`);
      // A server past its end of life (`kinto.eos` in the past) answers 410 to everything: it is up.
      if (response.ok || response.status === 410) return;
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`Kinto did not answer ${url}/__heartbeat__ within ${timeout} ms:\n${output()}`);
}

/** Starts a Kinto server with test/kinto.ini and `options`; resolves once its heartbeat answers. */
export async function startKinto(options: KintoServerOptions = {}): Promise<KintoServer> {
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kinto-rx-"));
  const extra = Object.entries(options.settings ?? {}).map(([k, v]) => `${k} = ${v}`).join("\n");
  const ini = readFileSync(join(ROOT, "test/kinto.ini"), "utf8").replace("[app:main]\n", `[app:main]\n${extra}\n`);
  const iniPath = join(dir, "kinto.ini");
  writeFileSync(iniPath, ini);
  const vars = {
    http_port: String(port),
    paginate_by: String(options.paginateBy ?? 10),
    attachment_path: join(dir, "attachments"),
    attachment_url: `http://127.0.0.1:${port}/attachments`,
  };
  const child = spawn(join(VENV, "bin/pserve"), [iniPath, ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)], {
    stdio: ["ignore", "ignore", "pipe"],
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
  return { url, port, stop };
}
