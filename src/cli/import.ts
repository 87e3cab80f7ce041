/**
 * `kinto-rx import`: checks the whole file, then uploads it with backpressure and a progress bar.
 * Resumable: records are created with `If-None-Match: *` and stable ids, so a re-run counts what is
 * already there as done and sends only what is missing.
 */
import { tap } from "rxjs";
import type { KintoClient } from "../resources/client";
import type { RecordResult } from "../streams/upload";
import type { Command } from "./args";
import { records, validate } from "./jsonl";
import type { Io } from "./main";
import { ProgressBar } from "./progress";

/** Thrown when some records were refused; exit code 1 with the reasons. */
export class ImportFailedError extends Error {
  /** @param failures the refused records */
  constructor(readonly failures: readonly Exclude<RecordResult, { status: "created" | "updated" }>[]) {
    const shown = failures.slice(0, 10).map((f) => `  ${f.id}: ${f.status} (${f.error.message})`);
    super(`${failures.length} record(s) refused:\n${shown.join("\n")}${failures.length > 10 ? "\n  ..." : ""}`);
    this.name = "ImportFailedError";
  }
}

/** Runs an import; resolves when every record was confirmed. */
export async function runImport(client: KintoClient, command: Extract<Command, { name: "import" }>, io: Io): Promise<void> {
  const total = await validate(command.file);
  const collection = client.bucket(command.bucket).collection(command.collection);
  const bar = command.progress ? new ProgressBar(total, io.stderr) : undefined;
  const failures: Exclude<RecordResult, { status: "created" | "updated" }>[] = [];
  let progress = { sent: 0, confirmed: 0, failed: 0 };
  const upload$ = collection
    .uploadRecords(records(command.file), { concurrency: command.concurrency, chunkSize: command.chunkSize, safe: true })
    .pipe(
      tap((event) => {
        progress = event.progress;
        bar?.update(progress);
        if (event.type === "chunk") for (const result of event.results) if (result.status === "conflict" || result.status === "failed") failures.push(result);
      }),
    );
  await new Promise<void>((resolve, reject) => {
    const subscription = upload$.subscribe({ complete: resolve, error: reject });
    io.signal?.addEventListener("abort", () => {
      subscription.unsubscribe();
      reject(new Error(`Interrupted after ${progress.confirmed} confirmed record(s); run the same command again to resume.`));
    });
  });
  bar?.done(progress);
  io.stderr.write(`Imported ${progress.confirmed} of ${total} record(s) into ${command.bucket}/${command.collection}.\n`);
  if (failures.length) throw new ImportFailedError(failures);
}
