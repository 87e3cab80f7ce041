/**
 * The production topology: Kinto with storage, permissions and cache on PostgreSQL, served by
 * gunicorn with several pre-forked worker processes on a free port of 127.0.0.1.
 *
 * ```
 * client ──HTTP──▶ gunicorn master ─fork─▶ worker 1..W (Kinto) ──unix socket──▶ postgres
 * ```
 *
 * Each server gets a database of its own in the run's cluster (started once by jest's
 * globalSetup and named by `KINTO_RX_PG`), or, outside jest, in a cluster of its own. `stop()`
 * stops gunicorn and drops the database (and the cluster, when it is the server's own); a watchdog
 * does the same if this process dies without stopping them. The Python packages come from
 * scripts/kinto-postgres-venv.sh, PostgreSQL from scripts/postgres.sh.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { randomBytes } from "node:crypto";
import { rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { heartbeat } from "./net";
import {
  createDatabase,
  dropDatabase,
  exited,
  findPostgres,
  run,
  startPostgres,
  watchdog,
  type ClusterAddress,
  type Postgres,
  type PostgresInstall,
} from "./postgres";
import type { KintoServer, KintoServerOptions, ServerFiles } from "./kinto-server";

/** The environment variable that names the run's shared cluster (JSON {@link ClusterAddress}). */
export const CLUSTER_ENV = "KINTO_RX_PG";

/** The backends of test/kinto.ini, as they are on PostgreSQL. */
function onPostgres(ini: string, databaseUrl: string): string {
  const settings = [
    "kinto.storage_backend = kinto.core.storage.postgresql",
    `kinto.storage_url = ${databaseUrl}`,
    "kinto.permission_backend = kinto.core.permission.postgresql",
    `kinto.permission_url = ${databaseUrl}`,
    "kinto.cache_backend = kinto.core.cache.postgresql",
    `kinto.cache_url = ${databaseUrl}`,
    // A sync worker serves one request at a time: small pools, so that the servers of a run fit
    // in the cluster's max_connections.
    ...["storage", "permission", "cache"].map((backend) => `kinto.${backend}_pool_size = 2`),
  ].join("\n");
  const swapped = ini
    .replace(/^kinto\.(storage|cache|permission)_backend = .*\n/gm, "")
    .replace("[app:main]\n", `[app:main]\n${settings}\n`);
  // gunicorn is given its address on the command line; pserve's [server:main] is not used.
  return swapped.replace(/\[server:main\][^[]*/, "");
}

/** PostgreSQL's install, or an error saying how to get it. */
export function postgresInstall(): PostgresInstall {
  const found = findPostgres();
  if ("missing" in found) throw new Error(`KINTO_BACKEND=postgresql: ${found.missing}; scripts/postgres.sh installs it`);
  return found;
}

/** Starts Kinto on PostgreSQL with `files` (see the module comment). */
export async function startKintoOnPostgres(files: ServerFiles, options: KintoServerOptions): Promise<KintoServer> {
  const install = postgresInstall();
  const workers = options.workers ?? Number(process.env.KINTO_PG_WORKERS ?? 2);
  const shared = process.env[CLUSTER_ENV];
  let own: Postgres | undefined;
  let cluster: ClusterAddress;
  if (shared) cluster = JSON.parse(shared) as ClusterAddress;
  else cluster = own = await startPostgres(install);
  // Random: jest loads this module afresh for each test file of a worker process.
  const name = `kinto_${process.pid}_${randomBytes(6).toString("hex")}`;
  let server: ChildProcess | undefined;
  const stop = async () => {
    try {
      if (server) await exited(server, "SIGTERM", 10_000);
      await dropDatabase(install, cluster, name);
      await own?.stop();
    } finally {
      rmSync(files.dir, { recursive: true, force: true });
    }
  };
  try {
    const url = await createDatabase(install, cluster, name);
    const ini = join(files.dir, "kinto.ini");
    writeFileSync(ini, onPostgres(files.ini, url));
    await run(join(files.venv, "bin/kinto"), ["migrate", "--ini", ini], { cwd: files.dir });
    const api = `http://127.0.0.1:${files.port}/v1`;
    const start = async () => {
      // Sync workers (gunicorn's default): one request at a time per process, each connection
      // accepted by whichever worker is free; requests of one client run in parallel.
      const args = ["--paste", ini, "--bind", `127.0.0.1:${files.port}`, "--workers", String(workers), "--graceful-timeout", "3"];
      const child = spawn(join(files.venv, "bin/gunicorn"), args, {
        cwd: files.dir,
        stdio: ["ignore", "ignore", "pipe"],
        env: { ...process.env, ...options.env },
      });
      server = child;
      let log = "";
      child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
      watchdog(process.pid, [{ pid: child.pid!, signal: "QUIT" }]);
      await heartbeat(api, child, options.startTimeout ?? 60_000, () => log);
    };
    await start();
    const crashAndRestart = async () => {
      const master = server!;
      // The master and its workers at once, as a machine's crash would.
      spawnKillTree(master.pid!);
      await new Promise((r) => (master.exitCode !== null || master.signalCode !== null ? r(null) : master.once("exit", r)));
      await start();
    };
    return { url: api, port: files.port, backend: "postgresql", workers, stop, crashAndRestart };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** SIGKILL to `pid` and its children. */
function spawnKillTree(pid: number): void {
  spawn("sh", ["-c", `pkill -KILL -P ${pid}; kill -KILL ${pid}`], { stdio: "ignore" });
}
