/**
 * A throwaway PostgreSQL cluster for the tests' production topology (test/server/kinto-postgres.ts)
 * and benchmark 3b: `initdb` in a temporary directory, `postgres` on 127.0.0.1 and a unix socket in
 * that directory, one database `kinto` (more with {@link createDatabase}). PostgreSQL refuses to run as
 * root: when the bench runs as root, the cluster's processes run as the `postgres` system user.
 * Durability is off (fsync, synchronous_commit, full_page_writes): the data are thrown away, and
 * the bench then measures the server's work, not this machine's disk.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { delimiter, join } from "node:path";
import { freePort } from "./net";

/** A running cluster. */
export interface Postgres {
  /** SQLAlchemy URL of the database (through the unix socket). */
  readonly url: string;
  /** The temporary directory (data, socket); removed by `stop`. */
  readonly dir: string;
  /** The TCP port (127.0.0.1), also the unix socket's. */
  readonly port: number;
  /** The postmaster's process id. */
  readonly pid: number;
  /** `postgres --version`, e.g. `postgres (PostgreSQL) 15.14`. */
  readonly version: string;
  /** Stops the server (fast shutdown) and removes the directory. */
  stop(): Promise<void>;
  /** The same, synchronously (immediate shutdown): for `process.on("exit")`. */
  stopSync(): void;
}

const TOOLS = ["initdb", "postgres", "pg_isready", "createdb"];

/** Where PostgreSQL is and who runs it: the `postgres` user when we are root, else ourselves. */
export interface PostgresInstall {
  /** The directory of the server binaries. */
  readonly bin: string;
  /** The user (ids) to run the cluster as, when not ourselves. */
  readonly user?: { readonly uid: number; readonly gid: number };
}

/**
 * PostgreSQL's server binaries (the directory of `initdb` on PATH, else the newest
 * /usr/lib/postgresql/N/bin) and its user, or why PostgreSQL cannot run here.
 */
export function findPostgres(): PostgresInstall | { missing: string } {
  const bin = postgresBin();
  if (bin === undefined)
    return {
      missing: `no PostgreSQL server binaries (${TOOLS.join(", ")}) on PATH nor in /usr/lib/postgresql/N/bin (Debian: apt-get install postgresql)`,
    };
  if (process.getuid?.() !== 0) return { bin };
  const line = readFileSync("/etc/passwd", "utf8")
    .split("\n")
    .find((l) => l.startsWith("postgres:"));
  if (!line) return { missing: "running as root, and PostgreSQL refuses root: there is no `postgres` system user to run it as" };
  const [, , uid, gid] = line.split(":");
  return { bin, user: { uid: Number(uid), gid: Number(gid) } };
}

function postgresBin(): string | undefined {
  const candidates: string[] = [];
  for (const dir of (process.env.PATH ?? "").split(delimiter)) {
    const initdb = join(dir, "initdb");
    if (dir && existsSync(initdb)) candidates.push(join(realpathSync(initdb), ".."));
  }
  const debian = "/usr/lib/postgresql";
  if (existsSync(debian)) {
    const versions = readdirSync(debian)
      .filter((v) => /^\d+$/.test(v))
      .sort((a, b) => Number(b) - Number(a));
    candidates.push(...versions.map((v) => join(debian, v, "bin")));
  }
  return candidates.find((dir) => TOOLS.every((tool) => existsSync(join(dir, tool))));
}

/** Runs `command` to its end; fails with its output on a non-zero exit. */
export function run(command: string, args: readonly string[], options: { uid?: number; gid?: number; cwd?: string } = {}): Promise<string> {
  return new Promise((ok, fail) => {
    const child = spawn(command, args, { ...options, stdio: ["ignore", "pipe", "pipe"] });
    let output = "";
    const keep = (chunk: Buffer) => (output = (output + chunk.toString()).slice(-4000));
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    child.on("error", fail);
    child.on("close", (code) =>
      code === 0 ? ok(output) : fail(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${output}`)),
    );
  });
}

/** Whether process `pid` is gone (or a zombie that only waits to be reaped). */
export function gone(pid: number | undefined): boolean {
  if (pid === undefined) return true;
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    return stat.slice(stat.lastIndexOf(")") + 2).startsWith("Z");
  } catch {
    return true;
  }
}

/** Waits (asynchronously) for `child` to exit, killing it with `SIGKILL` after `ms`. */
export async function exited(child: ChildProcess, signal: NodeJS.Signals, ms: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const done = new Promise((r) => child.once("exit", r));
  child.kill(signal);
  const timer = setTimeout(() => child.kill("SIGKILL"), ms);
  await done;
  clearTimeout(timer);
}

/** Blocks until `pid` is gone or `ms` passed. */
export function waitGoneSync(pid: number | undefined, ms: number): void {
  const until = Date.now() + ms;
  const cell = new Int32Array(new SharedArrayBuffer(4));
  while (!gone(pid) && Date.now() < until) Atomics.wait(cell, 0, 0, 20);
}

/** Starts a cluster with one database, `kinto`; resolves once it accepts connections. */
export async function startPostgres({ bin, user }: PostgresInstall): Promise<Postgres> {
  const dir = mkdtempSync(join(tmpdir(), "kinto-rx-pg-"));
  if (user) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const as = { ...user, cwd: dir };
  let server: ChildProcess | undefined;
  let log = "";
  const stopSync = () => {
    if (server && !gone(server.pid)) {
      server.kill("SIGQUIT"); // immediate shutdown
      waitGoneSync(server.pid, 5000);
    }
    rmSync(dir, { recursive: true, force: true });
  };
  const stop = async () => {
    if (server) await exited(server, "SIGINT", 10_000); // fast shutdown
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    const version = (await run(join(bin, "postgres"), ["--version"])).trim();
    await run(
      join(bin, "initdb"),
      ["-D", data, "-U", "postgres", "-A", "trust", "-E", "UTF8", "--locale=C", "--no-sync", "--no-instructions"],
      as,
    );
    const port = await freePort();
    // Every Kinto of a test run shares the cluster: room for their workers' connection pools.
    const settings = {
      listen_addresses: "127.0.0.1",
      port: String(port),
      unix_socket_directories: dir,
      fsync: "off",
      synchronous_commit: "off",
      full_page_writes: "off",
      max_connections: "400",
    };
    const args = ["-D", data, ...Object.entries(settings).flatMap(([k, v]) => ["-c", `${k}=${v}`])];
    const child = spawn(join(bin, "postgres"), args, { ...as, stdio: ["ignore", "ignore", "pipe"] });
    server = child;
    child.stderr?.on("data", (chunk: Buffer) => (log = (log + chunk.toString()).slice(-4000)));
    const deadline = Date.now() + 30_000;
    while (spawnSync(join(bin, "pg_isready"), ["-q", "-h", dir, "-p", String(port)]).status !== 0) {
      if (child.exitCode !== null) throw new Error(`postgres exited with ${child.exitCode}:\n${log}`);
      if (Date.now() > deadline) throw new Error(`postgres did not start:\n${log}`);
      await new Promise((r) => setTimeout(r, 100));
    }
    await run(join(bin, "createdb"), ["-h", dir, "-p", String(port), "-U", "postgres", "kinto"], as);
    // Not URL-encoded: the URL goes into an ini file, where `%` is special (tmpdir paths need no encoding).
    if (!/^[\w/.-]+$/.test(dir)) throw new Error(`unexpected characters in the temporary directory ${dir}`);
    const url = `postgresql://postgres@/kinto?host=${dir}&port=${port}`;
    // Whatever happens to this process (even SIGKILL), the cluster does not outlive it.
    watchdog(process.pid, [{ pid: child.pid!, signal: "QUIT" }], dir);
    return { url, dir, port, pid: child.pid!, version, stop, stopSync };
  } catch (error) {
    await stop();
    throw error;
  }
}

/** Where a running cluster is: enough for another process to create databases in it. */
export interface ClusterAddress {
  /** The cluster's directory (its unix socket). */
  readonly dir: string;
  /** Its port. */
  readonly port: number;
}

/** SQLAlchemy URL of database `name` in the cluster at `address`. */
export function databaseUrl(address: ClusterAddress, name: string): string {
  return `postgresql://postgres@/${name}?host=${address.dir}&port=${address.port}`;
}

/** Creates database `name` in the cluster at `address` (as the cluster's user). */
export async function createDatabase(install: PostgresInstall, address: ClusterAddress, name: string): Promise<string> {
  if (!/^\w+$/.test(name)) throw new Error(`bad database name ${name}`);
  await run(join(install.bin, "createdb"), ["-h", address.dir, "-p", String(address.port), "-U", "postgres", name], {
    ...install.user,
    cwd: address.dir,
  });
  return databaseUrl(address, name);
}

/** Drops database `name` (connections are closed first); errors are ignored: the cluster goes anyway. */
export async function dropDatabase(install: PostgresInstall, address: ClusterAddress, name: string): Promise<void> {
  const args = ["-h", address.dir, "-p", String(address.port), "-U", "postgres", "--force", "--if-exists", name];
  await run(join(install.bin, "dropdb"), args, { ...install.user, cwd: address.dir }).catch(() => undefined);
}

/**
 * A detached shell that waits for process `parent` to end, then signals `children` (that are still
 * alive) and removes `dir`: so that a test run killed with SIGKILL, or a jest worker that is torn
 * down without its hooks, leaves no server and no temporary cluster behind. It polls twice a second.
 */
export function watchdog(parent: number, children: readonly { pid: number; signal: "QUIT" | "TERM" | "KILL" }[], dir?: string): void {
  // It also ends when the children are gone (stopped normally), so that it never signals a reused pid.
  const alive = children.map(({ pid }) => `kill -0 ${pid} 2>/dev/null`).join(" || ") || "false";
  const kills = children.map(({ pid, signal }) => `kill -${signal} ${pid} 2>/dev/null`).join("; ");
  const remove = dir && /^[\w/.-]+$/.test(dir) ? `; sleep 2; rm -rf '${dir}'` : "";
  const script = `while kill -0 ${parent} 2>/dev/null && { ${alive}; }; do sleep 0.5; done; kill -0 ${parent} 2>/dev/null && exit 0; ${kills || "true"}${remove}`;
  spawn("sh", ["-c", script], { detached: true, stdio: "ignore" }).unref();
}
