/**
 * `kinto-rx import`: checks the whole file, lists what the server holds, then uploads only what is
 * missing (or changed, with `--on-conflict overwrite`), with backpressure and a progress display.
 * A re-run, or a resume after Ctrl-C, sends nothing twice and says what it found:
 * `N new, M already there, K changed`.
 */
import { tap } from "rxjs";
import { KintoHttpError, type KintoClient, type RecordResult, type UploadProgress } from "../index";
import type { Command } from "./args";
import { CliError, EXIT } from "./explain";
import { check, inputRecords, type CheckedFile } from "./jsonl";
import type { Output } from "./output";
import { plan, type Plan } from "./plan";
import { ProgressBar } from "./progress";
import { Stopped, until } from "./stop";

type Refused = Exclude<RecordResult, { status: "created" | "updated" }>;
type ImportCommand = Extract<Command, { name: "import" }>;

/** What an import run needs besides its command. */
export interface ImportContext {
  /** Standard output (the --json events). */
  readonly out: Output;
  /** Standard error (progress and summary). */
  readonly stderr: NodeJS.WriteStream;
  /** Aborted on Ctrl-C, SIGTERM or a closed stdout. */
  readonly signal: AbortSignal;
}

/** How the import talks about itself: a bar or lines on stderr, JSON lines on stdout, or nothing. */
interface Reporter {
  event(name: string, fields: Record<string, unknown>): void;
  progress(progress: UploadProgress, force?: boolean): void;
  say(text: string): void;
}

function reporter(command: ImportCommand, context: ImportContext, total: number): Reporter {
  const { progress: mode } = command;
  if (mode === "json") {
    return {
      event: (name, fields) => void context.out.write(JSON.stringify({ event: name, ...fields }) + "\n"),
      progress: (p) => void context.out.write(JSON.stringify({ event: "progress", total, ...p }) + "\n"),
      say: () => undefined,
    };
  }
  const bar = mode === "auto" && total > 0 ? new ProgressBar(total, context.stderr) : undefined;
  let last: UploadProgress = { sent: 0, confirmed: 0, failed: 0 };
  return {
    event: () => undefined,
    progress: (p, force) => {
      last = p;
      bar?.update(p, force);
    },
    say: (text) => {
      bar?.done(last);
      if (mode !== "quiet") context.stderr.write(text + "\n");
    },
  };
}

function conflicts(command: ImportCommand, file: CheckedFile, changed: ReadonlyMap<string, number>): CliError {
  const lines = [...changed.keys()].map((id) => ({ id, line: file.records.get(id)?.line ?? 0 })).sort((a, b) => a.line - b.line);
  const shown = lines
    .slice(0, command.maxErrors)
    .map(({ id, line }) => `${command.file}:${line}: the server holds record "${id}" with other content`);
  const more = lines.length > shown.length ? `\n(${lines.length - shown.length} more)` : "";
  return new CliError(
    EXIT.conflict,
    `${shown.join("\n")}${more}\n${changed.size} record(s) differ from the server's: nothing was sent. Use --on-conflict skip to leave them, or overwrite to replace them.`,
  );
}

function refused(command: ImportCommand, file: CheckedFile, failures: readonly Refused[]): CliError {
  const line = (id: string) => file.records.get(id)?.line ?? 0;
  const shown = failures
    .slice(0, command.maxErrors)
    .map((f) => `${command.file}:${line(f.id)}: record "${f.id}" ${f.status}: ${f.error.serverMessage ?? f.error.message}`);
  const more = failures.length > shown.length ? `\n(${failures.length - shown.length} more)` : "";
  return new CliError(EXIT.server, `${failures.length} record(s) refused:\n${shown.join("\n")}${more}`);
}

/** The records to send, in file order: the new ones, and the changed ones with `overwrite`. */
async function* toSend(command: ImportCommand, work: Plan): AsyncGenerator<Record<string, unknown>> {
  for await (const { id, record } of inputRecords(command.file, command.ids)) {
    if (!work.held.has(id)) yield record;
    else if (command.onConflict === "overwrite" && work.changed.has(id)) yield { ...record, last_modified: work.changed.get(id) };
  }
}

/** Runs an import; resolves when every record to send was confirmed. */
export async function runImport(client: KintoClient, command: ImportCommand, context: ImportContext): Promise<void> {
  const file = await check(command.file, command.ids, command.maxErrors);
  const collection = client.bucket(command.bucket).collection(command.collection);
  const where = `${command.bucket}/${command.collection} at ${command.server}`;
  let work: Plan;
  try {
    work = await plan(collection, file, context.signal);
  } catch (error) {
    if (error instanceof KintoHttpError && error.status === 404) {
      throw new CliError(
        EXIT.server,
        `Collection ${command.bucket}/${command.collection} not found at ${command.server} (HTTP 404 on ${error.request.method} ${error.request.path}): create it first. Nothing was sent.`,
      );
    }
    throw error;
  }
  if (work.changed.size > 0 && command.onConflict === "fail") throw conflicts(command, file, work.changed);
  const changedNote =
    work.changed.size === 0 ? "" : command.onConflict === "overwrite" ? " (replaced)" : " (left as the server holds them)";
  const total = work.fresh + (command.onConflict === "overwrite" ? work.changed.size : 0);
  const report = reporter(command, context, total);
  report.event("plan", { new: work.fresh, already: work.same, changed: work.changed.size, send: total });

  const failures: Refused[] = [];
  let created = 0;
  let progress: UploadProgress = { sent: 0, confirmed: 0, failed: 0 };
  const upload$ = collection
    .uploadRecords(toSend(command, work), { concurrency: command.concurrency, chunkSize: command.chunkSize, safe: true })
    .pipe(
      tap((event) => {
        progress = event.progress;
        if (event.type !== "chunk") return report.progress(progress);
        for (const result of event.results) {
          if (result.status === "created") created++;
          if (result.status !== "conflict" && result.status !== "failed") continue;
          // One refusal for lack of permission stands for all of them: stop, exit 4.
          if (result.error.status === 401 || result.error.status === 403) throw result.error;
          failures.push(result);
        }
        report.progress(progress);
      }),
    );
  if (total > 0) {
    try {
      await until(upload$, context.signal);
    } catch (error) {
      if (!(error instanceof Stopped) || error.reason === "EPIPE") throw error;
      report.progress(progress, true);
      report.say(
        `Interrupted (${error.reason}) after ${progress.confirmed} of ${total} record(s) confirmed in ${where}; run the same command again to resume.`,
      );
      report.event("interrupted", { signal: error.reason, ...progress, total });
      throw new CliError(error.exitCode, "");
    }
  }
  report.progress(progress, true);
  if (command.dryRun) {
    report.say(
      `${where}: ${total} record(s) would be sent (${work.fresh} new, ${work.same} already there, ${work.changed.size} changed${changedNote}); nothing was sent.`,
    );
    report.event("dry-run", { new: work.fresh, already: work.same, changed: work.changed.size, send: total });
    return;
  }
  report.say(
    `${where}: ${created} new, ${work.same} already there, ${work.changed.size} changed${changedNote}${failures.length ? `, ${failures.length} refused` : ""}.`,
  );
  report.event("done", { new: created, already: work.same, changed: work.changed.size, refused: failures.length, ...progress });
  if (failures.length) throw refused(command, file, failures);
}
