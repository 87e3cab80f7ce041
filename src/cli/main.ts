/**
 * `kinto-rx` command-line tool: info, export, import (with a progress bar), watch.
 */
import { lastValueFrom, map, tap } from "rxjs";
import { KintoHttpError, NetworkError, NetworkTimeoutError } from "../http/errors";
import { KintoClient } from "../resources/client";
import { toAsyncIterable } from "../streams/pages";
import { authorization, parseArgs, UsageError, USAGE, type Command, type Common } from "./args";
import { InputError } from "./jsonl";
import { runImport } from "./import";

/** Where the CLI writes; injectable for tests. */
export interface Io {
  /** Standard output. */
  readonly stdout: NodeJS.WritableStream;
  /** Standard error. */
  readonly stderr: NodeJS.WriteStream;
  /** Environment. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Abort signal (Ctrl-C). */
  readonly signal?: AbortSignal;
}

/** Exit codes. */
export const EXIT = { ok: 0, server: 1, usage: 2, unreachable: 3, auth: 4, input: 5 } as const;

function client(options: Common): KintoClient {
  return new KintoClient(options.server, { headers: authorization(options.auth), timeout: options.timeout, retry: options.retry });
}

/** Writes `text` and waits for the stream to drain when its buffer is full (backpressure). */
function write(out: NodeJS.WritableStream, text: string): Promise<void> | void {
  if (!out.write(text)) return new Promise((resolve) => out.once("drain", () => resolve()));
}

async function run(command: Exclude<Command, { name: "help" }>, io: Io): Promise<void> {
  const kinto = client(command);
  switch (command.name) {
    case "info": {
      const info = await lastValueFrom(kinto.fetchServerInfo());
      const user = await lastValueFrom(kinto.fetchUser());
      await write(io.stdout, JSON.stringify({ ...info, user: user ?? null }, null, 2) + "\n");
      return;
    }
    case "export": {
      const collection = kinto.bucket(command.bucket).collection(command.collection);
      const pages = collection.listRecords({ sort: "last_modified", since: command.since, pages: 1 });
      for await (const page of toAsyncIterable(pages)) {
        for (const record of page.data) await write(io.stdout, JSON.stringify(record) + "\n");
      }
      return;
    }
    case "watch": {
      const collection = kinto.bucket(command.bucket).collection(command.collection);
      const feed = collection.watchRecords({ since: command.since, interval: command.interval });
      await new Promise<void>((resolve, reject) => {
        const subscription = feed.pipe(map((change) => JSON.stringify(change) + "\n"), tap((line) => void io.stdout.write(line))).subscribe({ error: reject, complete: resolve });
        io.signal?.addEventListener("abort", () => {
          subscription.unsubscribe();
          resolve();
        });
      });
      return;
    }
    case "import":
      return runImport(kinto, command, io);
  }
}

/** What a failure means for the user, and its exit code. No credential is ever printed. */
export function explain(error: unknown): { code: number; message: string } {
  if (error instanceof UsageError) return { code: EXIT.usage, message: `${error.message}\n\n${USAGE}` };
  if (error instanceof InputError) return { code: EXIT.input, message: `${error.message}\nNothing was sent.` };
  if (error instanceof KintoHttpError && (error.status === 401 || error.status === 403)) {
    return { code: EXIT.auth, message: `Not authorized (HTTP ${error.status}): check --auth / --bearer.` };
  }
  if (error instanceof NetworkTimeoutError || (error instanceof NetworkError && !(error instanceof KintoHttpError))) {
    return { code: EXIT.unreachable, message: `Server unreachable: ${error.message}` };
  }
  if (error instanceof Error && "code" in error && (error as NodeJS.ErrnoException).code === "ENOENT") {
    return { code: EXIT.input, message: `Cannot read ${(error as NodeJS.ErrnoException).path}: no such file.` };
  }
  return { code: EXIT.server, message: error instanceof Error ? error.message : String(error) };
}

/** Runs the CLI with `argv` (no node/script); resolves with the exit code. */
export async function main(argv: readonly string[], io: Io): Promise<number> {
  try {
    const command = parseArgs(argv, io.env);
    if (command.name === "help") {
      await write(io.stdout, USAGE + "\n");
      return EXIT.ok;
    }
    await run(command, io);
    return EXIT.ok;
  } catch (error) {
    const { code, message } = explain(error);
    io.stderr.write(`kinto-rx: ${message}\n`);
    return code;
  }
}

if (require.main === module) {
  const controller = new AbortController();
  process.once("SIGINT", () => controller.abort());
  main(process.argv.slice(2), { stdout: process.stdout, stderr: process.stderr, env: process.env, signal: controller.signal }).then((code) => {
    process.exitCode = code;
  });
}
