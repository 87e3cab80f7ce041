/**
 * A migration script (Node): copies every record of one collection into another server's
 * collection, reshaping each record on the way. The source is read with `for await` one page at a
 * time (the next page is requested only when the loop asks for it), and the reshaped records are
 * handed to `uploadRecords` as an async iterable: it sends them through `/batch`, pulling from the
 * generator only as fast as the target server accepts them.
 *
 *     npx tsx examples/migrate.ts https://old.example/v1 https://new.example/v1 blog posts   (any TS runner)
 *     (with KINTO_AUTH="Basic …" in the environment)
 */
import KintoClient, { type Collection, type KintoObject, toAsyncIterable } from "kinto-rx";
import { filter, lastValueFrom, tap } from "rxjs";

/** The old shape has `name` and `closed`; the new one `title` and `done`. */
function reshape(record: KintoObject): Record<string, unknown> {
  // last_modified is left out: the target server sets its own timestamps.
  const { id, name, closed, last_modified, ...rest } = record;
  return { ...rest, id, title: String(name ?? ""), done: closed === true };
}

/** Every record of `source`, reshaped, page after page (100 records per request). */
async function* reshaped(source: Collection, onPage: (count: number) => void): AsyncGenerator<Record<string, unknown>> {
  for await (const page of toAsyncIterable(source.listRecords({ limit: 100, sort: "id", pages: Infinity }))) {
    onPage(page.data.length);
    for (const record of page.data) yield reshape(record);
  }
}

/** What a migration did. */
export interface MigrationReport {
  /** Records read from the source. */
  readonly read: number;
  /** Records the target confirmed (created or updated). */
  readonly written: number;
  /** Records the target refused, with the reason. */
  readonly refused: { id: string; reason: string }[];
}

/**
 * Copies `source` into `target` (at most 2 `/batch` requests of 25 records in flight); resolves
 * once the upload completed.
 * @param source the collection read
 * @param target the collection written (created beforehand)
 */
export async function migrate(source: Collection, target: Collection): Promise<MigrationReport> {
  let read = 0;
  const refused: { id: string; reason: string }[] = [];
  const events = target.uploadRecords(
    reshaped(source, (count) => (read += count)),
    { chunkSize: 25, concurrency: 2 },
  );
  const last = await lastValueFrom(
    events.pipe(
      filter((event) => event.type === "chunk"),
      tap((event) => {
        for (const result of event.results) {
          if (result.status === "conflict" || result.status === "failed") refused.push({ id: result.id, reason: result.error.message });
        }
        console.log(`chunk ${event.chunk}: ${event.progress.confirmed}/${read} records written`);
      }),
    ),
    { defaultValue: undefined },
  );
  return { read, written: last?.progress.confirmed ?? 0, refused };
}

async function main(argv: string[]): Promise<void> {
  const [from, to, bucket, collection] = argv;
  if (!collection) throw new Error("usage: migrate.ts <from-url> <to-url> <bucket> <collection>");
  const headers = { Authorization: process.env.KINTO_AUTH ?? "" };
  const source = new KintoClient(from, { headers, retry: 3 }).bucket(bucket).collection(collection);
  const target = new KintoClient(to, { headers, retry: 3 }).bucket(bucket).collection(collection);
  const report = await migrate(source, target);
  console.log(`${bucket}/${collection}: ${report.read} read, ${report.written} written, ${report.refused.length} refused`);
  for (const { id, reason } of report.refused) console.log(`  ${id}: ${reason}`);
  if (report.refused.length > 0) process.exitCode = 1;
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: unknown) => {
    console.error(error instanceof Error ? error.message : error);
    process.exitCode = 1;
  });
}
