/**
 * What every test server needs from the network and the process table: a free port of 127.0.0.1
 * and a wait on Kinto's heartbeat.
 */
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";

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
