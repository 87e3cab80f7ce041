/**
 * Benchmark 3b's server: Kinto with storage, permissions and cache on PostgreSQL (bench/postgres.ts),
 * served by gunicorn with `workers` pre-forked processes on a free port of 127.0.0.1, so that
 * several `/batch` requests are really processed at once (bench/server.ts runs one process).
 *
 * ```
 * client ──HTTP──▶ gunicorn master ─fork─▶ worker 1..W (Kinto) ──unix socket──▶ postgres
 * ```
 *
 * Everything is started here and stopped by `stop()`, also on an error, and on Ctrl-C or SIGTERM
 * (then synchronously, with an immediate shutdown of PostgreSQL), and the temporary directory is
 * removed. The Python packages come from scripts/kinto-postgres-venv.sh.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { freePort, heartbeat } from "../test/server/kinto-server";
import { exited, findPostgres, gone, run, startPostgres, waitGoneSync, type Postgres } from "../test/server/postgres";
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
  if (venv.status !== 0) return { skipped: `scripts/kinto-postgres-venv.sh exited with ${venv.status ?? venv.signal} (see its output above)` };

  let db: Postgres | undefined;
  let server: ChildProcess | undefined;
  const stopSync = () => {
    if (server && !gone(server.pid)) {
      server.kill("SIGQUIT"); // gunicorn's quick shutdown: the master kills its workers
      waitGoneSync(server.pid, 5000);
    }
    db?.stopSync();
  };
  const interrupted = (signal: NodeJS.Signals) => {
    process.stderr.write(`[bench] ${signal}: stopping Kinto on PostgreSQL\n`);
    stopSync();
    process.exit(signal === "SIGINT" ? 130 : 143);
  };
  process.on("exit", stopSync);
  process.on("SIGINT", interrupted);
  process.on("SIGTERM", interrupted);
  const stop = async () => {
    process.off("SIGINT", interrupted);
    process.off("SIGTERM", interrupted);
    try {
      if (server) await exited(server, "SIGTERM", 10_000);
      await db?.stop();
    } finally {
      process.off("exit", stopSync);
    }
  };

  try {
    db = await startPostgres(found);
    const vars: Record<string, string> = {
      database_url: db.url,
      paginate_by: String(options.paginateBy),
      batch_max_requests: String(options.batchMaxRequests ?? 25),
    };
    const template = readFileSync(join(ROOT, "bench/kinto-postgresql.ini"), "utf8");
    const ini = join(db.dir, "kinto.ini");
    writeFileSync(ini, template.replace(/%\((\w+)\)s/g, (text, name: string) => vars[name] ?? text));
    await run(join(VENV, "bin/kinto"), ["migrate", "--ini", ini], { cwd: db.dir });
    const gunicornVersion = (await run(join(VENV, "bin/gunicorn"), ["--version"])).trim();

    const port = await freePort();
    // Sync workers (gunicorn's default): one request at a time per process, a new connection per
    // request, accepted by whichever worker is free.
    const args = ["--paste", ini, "--bind", `127.0.0.1:${port}`, "--workers", String(options.workers), "--graceful-timeout", "5"];
    const child = spawn(join(VENV, "bin/gunicorn"), args, { cwd: db.dir, stdio: ["ignore", "ignore", "pipe"] });
    server = child;
    let log = "";
    child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const url = `http://127.0.0.1:${port}/v1`;
    await heartbeat(url, child, 60_000, () => log);
    return { url, stop, workers: options.workers, versions: { postgres: db.version, gunicorn: gunicornVersion } };
  } catch (error) {
    await stop();
    throw error;
  }
}
