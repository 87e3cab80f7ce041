/**
 * Benchmark 3b's server: the tests' production topology (test/server/kinto-postgres.ts: a throwaway
 * PostgreSQL cluster, `kinto migrate`, gunicorn with `workers` pre-forked processes on a free port
 * of 127.0.0.1, a watchdog) with the benchmarks' settings (bench/kinto.ini: no plugins, basic
 * auth), so that several `/batch` requests are really processed at once (bench/server.ts runs one
 * process).
 *
 * ```
 * client ──HTTP──▶ gunicorn master ─fork─▶ worker 1..W (Kinto) ──unix socket──▶ postgres
 * ```
 *
 * `stop()` stops gunicorn and removes the cluster; Ctrl-C and SIGTERM do the same (the watchdogs
 * of test/server/postgres.ts cover a SIGKILL of the bench). The Python packages come from
 * scripts/kinto-postgres-venv.sh.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startKintoOnPostgres } from "../test/server/kinto-postgres";
import { freePort } from "../test/server/net";
import { findPostgres } from "../test/server/postgres";
import type { BenchServer } from "./server";

const ROOT = process.env.KINTO_RX_ROOT ?? process.cwd();
const VENV = process.env.KINTO_VENV ?? join(ROOT, ".venv-kinto");

/** A running Kinto on PostgreSQL. */
export interface PostgresServer extends BenchServer {
  /** gunicorn's worker processes. */
  readonly workers: number;
  /** Versions of the deployment's parts, for the record. */
  readonly versions: { readonly postgres: string; readonly gunicorn: string };
}

/** Settings of the server, as in bench/server.ts. */
export interface PostgresServerOptions {
  /** gunicorn workers (processes). */
  readonly workers: number;
  /** `kinto.paginate_by`. */
  readonly paginateBy: number;
  /** `kinto.batch_max_requests` (default 25). */
  readonly batchMaxRequests?: number;
}

/**
 * Starts Kinto on PostgreSQL; resolves once its heartbeat answers. Resolves `{ skipped }` instead,
 * with the reason, when PostgreSQL cannot run here or the Python packages cannot be installed.
 */
export async function startPostgresServer(options: PostgresServerOptions): Promise<PostgresServer | { skipped: string }> {
  const found = findPostgres();
  if ("missing" in found) return { skipped: found.missing };
  const venv = spawnSync("bash", [join(ROOT, "scripts/kinto-postgres-venv.sh")], { stdio: ["ignore", 2, 2] });
  if (venv.status !== 0)
    return { skipped: `scripts/kinto-postgres-venv.sh exited with ${venv.status ?? venv.signal} (see its output above)` };
  const version = (command: string) => spawnSync(command, ["--version"], { encoding: "utf8" }).stdout.trim();

  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), "kinto-rx-bench-"));
  const vars: Record<string, string> = {
    http_port: String(port),
    paginate_by: String(options.paginateBy),
    batch_max_requests: String(options.batchMaxRequests ?? 25),
  };
  const ini = readFileSync(join(ROOT, "bench/kinto.ini"), "utf8").replace(/%\((\w+)\)s/g, (text, name: string) => vars[name] ?? text);
  let server: Awaited<ReturnType<typeof startKintoOnPostgres>>;
  try {
    server = await startKintoOnPostgres({ dir, port, ini, venv: VENV }, { workers: options.workers });
  } catch (error) {
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`[bench] ${signal}: stopping Kinto on PostgreSQL\n`);
    void server.stop().finally(() => process.exit(signal === "SIGINT" ? 130 : 143));
  };
  process.once("SIGINT", interrupted);
  process.once("SIGTERM", interrupted);
  const stop = async () => {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    await server.stop();
  };
  return {
    url: server.url,
    stop,
    workers: server.workers,
    versions: { postgres: version(join(found.bin, "postgres")), gunicorn: version(join(VENV, "bin/gunicorn")) },
  };
}
