/**
 * `kinto-rx` command-line tool: info, export, import (with a progress display), watch, dump, load.
 * Quiet exit when the reader of stdout goes away (`| head`), exit codes as the help lists them,
 * every wait bounded, the server named in every error about it.
 */
import { setMaxListeners } from "node:events";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { dryRun, KintoClient, type KintoInterceptor } from "../index";
import { authorization, parseArgs, type Command, type Common } from "./args";
import { contact } from "./contact";
import { EXIT, explain, type FailureContext } from "./explain";
import { runDump } from "./dump";
import { runExport } from "./export";
import { usage } from "./help";
import { runImport } from "./import";
import { runLoad } from "./load";
import { Output } from "./output";
import { proxyFetch } from "./proxy";
import { runWatch } from "./watch";

export { EXIT, explain } from "./explain";

/** Where the CLI writes; injectable for tests. */
export interface Io {
  /** Standard output. */
  readonly stdout: NodeJS.WritableStream;
  /** Standard error. */
  readonly stderr: NodeJS.WriteStream;
  /** Environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Aborted on Ctrl-C (reason `"SIGINT"`, the default) or SIGTERM (reason `"SIGTERM"`). */
  readonly signal?: AbortSignal;
}

/** The package's version (package.json is two folders up, from src/cli and from dist/cli alike). */
export function version(): string {
  return (JSON.parse(readFileSync(join(__dirname, "..", "..", "package.json"), "utf8")) as { version: string }).version;
}

function client(options: Common, env: Io["env"], interceptors: readonly KintoInterceptor[] = []): KintoClient {
  const fetch = proxyFetch(env);
  return new KintoClient(options.server, {
    headers: authorization(options.auth),
    timeout: options.timeout,
    retry: options.retry,
    interceptors,
    ...(fetch ? { fetch } : {}),
  });
}

/**
 * `import --dry-run`: the library's dry-run interceptor on the command's client. Reads go to the
 * server (the plan needs them); each write is printed, one `METHOD PATH` line (a `would-send`
 * event with `--json`) per sub-request of a `/batch`, and not sent.
 */
function dryRunPrinter(out: Output, json: boolean): KintoInterceptor {
  return dryRun((request) => {
    const requests = request.path === "/batch" ? (request.body as { requests?: { method: string; path: string }[] }).requests : undefined;
    for (const { method, path } of requests ?? [request]) {
      void out.write(json ? JSON.stringify({ event: "would-send", method, path }) + "\n" : `${method} ${path}\n`);
    }
  });
}

async function run(
  command: Exclude<Command, { name: "help" | "version" }>,
  io: Io,
  out: Output,
  signal: AbortSignal,
  context: { user?: string },
): Promise<void> {
  const kinto = client(
    command,
    io.env,
    command.name === "import" && command.dryRun ? [dryRunPrinter(out, command.progress === "json")] : [],
  );
  const info = await contact(kinto, command, signal);
  context.user = info.user?.id;
  switch (command.name) {
    case "info":
      return out.write(JSON.stringify({ ...info, user: info.user ?? null }, null, 2) + "\n");
    case "export":
      return runExport(kinto, command, out, signal);
    case "watch":
      return runWatch(kinto, command, out, signal);
    case "import":
      return runImport(kinto, command, { out, stderr: io.stderr, signal });
    case "dump":
      return runDump(kinto, command, out, signal);
    case "load":
      return runLoad(kinto, command, context.user, out, io.stderr, signal);
  }
}

/** Runs the CLI with `argv` (no node/script); resolves with the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  const controller = new AbortController();
  // Every wait in flight listens to it once (load: collections × batches × reads): no leak to warn of.
  setMaxListeners(1000, controller.signal);
  const forward = () => controller.abort(io.signal?.reason === "SIGTERM" ? "SIGTERM" : "SIGINT");
  if (io.signal?.aborted) forward();
  io.signal?.addEventListener("abort", forward, { once: true });
  const out = new Output(io.stdout, () => controller.abort("EPIPE"));
  const context: FailureContext & { user?: string } = {};
  try {
    const command = parseArgs(argv, io.env);
    if (command.name === "help") await out.write(usage(command.topic) + "\n");
    else if (command.name === "version") await out.write(`kinto-rx ${version()}\n`);
    else {
      for (const warning of command.warnings) io.stderr.write(`kinto-rx: warning: ${warning}\n`);
      Object.assign(context, { server: command.server, authenticated: command.auth !== undefined });
      await run(command, io, out, controller.signal, context);
    }
    return EXIT.ok;
  } catch (error) {
    // The reader of stdout went away (`| head`): nobody wants more, and there is nothing to say.
    if (out.isClosed) return EXIT.ok;
    const { code, message } = explain(error, context);
    if (message) io.stderr.write(`kinto-rx: ${message}\n`);
    return code;
  } finally {
    io.signal?.removeEventListener("abort", forward);
  }
}

if (require.main === module) {
  const controller = new AbortController();
  const stop = (signal: "SIGINT" | "SIGTERM") => () => {
    // A second signal does not wait for the first one's cleanup.
    if (controller.signal.aborted) process.exit(signal === "SIGINT" ? 130 : 143);
    controller.abort(signal);
  };
  process.on("SIGINT", stop("SIGINT"));
  process.on("SIGTERM", stop("SIGTERM"));
  // A closed stderr must not crash the tool either (stdout's errors are handled by Output).
  process.stderr.on("error", () => undefined);
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then(
    (code) => {
      process.exitCode = code;
    },
    (error: unknown) => {
      // main reports its own failures; this is a bug of the tool itself: say so, exit with the software error code.
      process.stderr.write(`kinto-rx: internal error: ${error instanceof Error ? error.message : String(error)}\n`);
      process.exitCode = 70;
    },
  );
}
