/**
 * jest globalSetup: starts the real Kinto server shared by the integration tests (unless
 * TEST_KINTO_SERVER names one) and publishes its URL as KINTO_URL to the test workers. With
 * `KINTO_BACKEND=postgresql` it first starts the run's PostgreSQL cluster, in which every server of
 * the run (this one and those that test files start) gets a database of its own.
 */
import { startKinto, kintoBackend, type KintoServer } from "./kinto-server";
import { CLUSTER_ENV, postgresInstall } from "./kinto-postgres";
import { startPostgres, type Postgres } from "./postgres";

declare global {
  var __KINTO_SERVER__: KintoServer | undefined;
  var __KINTO_CLUSTER__: Postgres | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_KINTO_SERVER) {
    process.env.KINTO_URL = process.env.TEST_KINTO_SERVER.replace(/\/$/, "");
    return;
  }
  if (kintoBackend() === "postgresql") {
    const cluster = await startPostgres(postgresInstall());
    globalThis.__KINTO_CLUSTER__ = cluster;
    process.env[CLUSTER_ENV] = JSON.stringify({ dir: cluster.dir, port: cluster.port });
    // Ctrl-C or a kill of jest: the cluster goes with it (the watchdog covers SIGKILL).
    process.once("exit", () => cluster.stopSync());
    process.stderr.write(
      `\n[kinto-rx tests] topology: Kinto on PostgreSQL (${cluster.version}), gunicorn with ${process.env.KINTO_PG_WORKERS ?? 2} workers\n`,
    );
  }
  const server = await startKinto({ paginateBy: 10 });
  globalThis.__KINTO_SERVER__ = server;
  process.env.KINTO_URL = server.url;
}
