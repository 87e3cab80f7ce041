/**
 * Starts the benchmarks' Kinto server (bench/kinto.ini: memory backends, no plugins) from the
 * project's venv on a free port, like test/server/kinto-server.ts does for the tests.
 */
import { spawn } from "node:child_process";
import { join } from "node:path";
import { freePort, heartbeat } from "../test/server/kinto-server";

/** A running server: its API root and how to stop it. */
export interface BenchServer {
  /** The API root, e.g. `http://127.0.0.1:40123/v1`. */
  readonly url: string;
  /** Stops the server. */
  stop(): Promise<void>;
}

const ROOT = process.env.KINTO_RX_ROOT ?? process.cwd();
const VENV = process.env.KINTO_VENV ?? join(ROOT, ".venv-kinto");

/** Starts a server with `paginate_by` and `batch_max_requests`; resolves once its heartbeat answers. */
export async function startServer(paginateBy: number, batchMaxRequests = 25): Promise<BenchServer> {
  const port = await freePort();
  const vars = { http_port: String(port), paginate_by: String(paginateBy), batch_max_requests: String(batchMaxRequests) };
  const args = [join(ROOT, "bench/kinto.ini"), ...Object.entries(vars).map(([k, v]) => `${k}=${v}`)];
  const child = spawn(join(VENV, "bin/pserve"), args, { stdio: ["ignore", "ignore", "pipe"] });
  let log = "";
  child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
  const url = `http://127.0.0.1:${port}/v1`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once("exit", r));
    child.kill("SIGTERM");
    await exited;
  };
  try {
    await heartbeat(url, child, 30_000, () => log);
  } catch (error) {
    await stop();
    throw error;
  }
  return { url, stop };
}
