/**
 * The records of one collection of a dump, written back: compared with one listing of the
 * server's (ids and content) and, for the records it holds with the same content, with their
 * permissions; then only what differs is written, data and permissions in one PUT per record
 * (`If-None-Match: *` for a new one, `If-Match` on the version read for one it holds), in `/batch`
 * requests of `batch_max_requests`, `--concurrency` of them in flight. The file is read a chunk at
 * a time: memory holds the listing's ids and hashes, and the chunks in flight.
 */
import type { CheckedBatchResponse, Collection, KintoObject, Page, Permissions } from "../index";
import { asWrittenBy, recordAcls, samePermissions } from "./acl";
import { contentHash } from "./jsonl";
import { until } from "./stop";

/** A record line of a dump. */
export interface DumpRecord {
  /** The record, with its id, without `last_modified`. */
  readonly data: Record<string, unknown>;
  /** Its permissions (none in a dump of an older kinto-rx: then they are left as the server has them). */
  readonly permissions?: Permissions;
}

/** What the load of one collection's records found and did. */
export interface RecordCounts {
  /** Records the server did not hold. */
  fresh: number;
  /** Records it held with other data or other permissions. */
  changed: number;
  /** Records it held as they are. */
  same: number;
  /** Records only the server holds (left). */
  onlyOnServer: number;
  /** Writes the server refused: `id: reason`. */
  readonly refused: string[];
}

/** How to load: what the command says, and who loads. */
export interface RecordLoadOptions {
  /** Write nothing, only count. */
  readonly dryRun: boolean;
  /** `/batch` requests in flight. */
  readonly concurrency: number;
  /** The loading user's principal (Kinto adds it to every object's writers). */
  readonly user: string | undefined;
  /** Ends every wait. */
  readonly signal: AbortSignal;
}

type Held = Map<string, { readonly hash: string; readonly last_modified: number }>;
type Write = { readonly record: Record<string, unknown>; readonly permissions?: Permissions; readonly last_modified?: number };

/** The server's records of `collection`: id → content hash and last_modified (one listing). */
async function held(collection: Collection, signal: AbortSignal): Promise<Held> {
  const all: Held = new Map();
  let page: Page<KintoObject> = await until(collection.listRecords({ pages: 1, limit: 1000 }), signal);
  for (;;) {
    for (const record of page.data) all.set(record.id, { hash: contentHash(record), last_modified: record.last_modified });
    if (!page.hasNextPage) return all;
    page = await until(page.next(), signal);
  }
}

/** Groups of `size` from `source`, read as they are needed. */
async function* chunked<T>(source: AsyncIterable<T>, size: number): AsyncGenerator<T[]> {
  let chunk: T[] = [];
  for await (const item of source) {
    chunk.push(item);
    if (chunk.length >= size) {
      yield chunk;
      chunk = [];
    }
  }
  if (chunk.length) yield chunk;
}

/** What `response` says went wrong, or `undefined` for a success. */
function refusal(response: CheckedBatchResponse): string | undefined {
  if (response.status < 400 && response.outcome === "applied") return undefined;
  const body = response.body as { message?: string } | undefined;
  return `HTTP ${response.status}${body?.message ? ` ${body.message}` : ""}${response.outcome !== "applied" && response.outcome !== "failed" ? ` (${response.outcome})` : ""}`;
}

/** Loads one collection's records; resolves with what it found and did. */
export async function loadRecords(
  collection: Collection,
  existed: boolean,
  source: AsyncIterable<DumpRecord>,
  options: RecordLoadOptions,
): Promise<RecordCounts> {
  const { signal } = options;
  const server: Held = existed ? await held(collection, signal) : new Map();
  const counts: RecordCounts = { fresh: 0, changed: 0, same: 0, onlyOnServer: 0, refused: [] };
  const size = (await until(collection.bucket.client.fetchServerSettings(), signal)).batch_max_requests || 25;

  /** The writes a chunk needs: new records, other data, or (read for the same data) other permissions. */
  const writesOf = async (chunk: readonly DumpRecord[]): Promise<Write[]> => {
    const writes: Write[] = [];
    const sameData: DumpRecord[] = [];
    for (const line of chunk) {
      const id = line.data.id as string;
      const theirs = server.get(id);
      server.delete(id);
      if (!theirs) {
        counts.fresh++;
        writes.push({ record: line.data, permissions: line.permissions });
      } else if (theirs.hash !== contentHash(line.data)) {
        counts.changed++;
        writes.push({ record: line.data, permissions: line.permissions, last_modified: theirs.last_modified });
      } else if (line.permissions) sameData.push(line);
      else counts.same++;
    }
    const acls = await recordAcls(
      collection,
      sameData.map((l) => l.data.id as string),
      signal,
    );
    for (const line of sameData) {
      const acl = acls.get(line.data.id as string);
      if (acl && samePermissions(acl.permissions, asWrittenBy(line.permissions!, options.user))) counts.same++;
      else {
        counts.changed++;
        writes.push({ record: line.data, permissions: line.permissions, last_modified: acl?.last_modified });
      }
    }
    return writes;
  };

  const send = async (writes: readonly Write[]): Promise<void> => {
    if (writes.length === 0 || options.dryRun) return;
    const responses = await until(
      collection.batch<CheckedBatchResponse[]>((batch) => {
        for (const w of writes) {
          const permissions = w.permissions;
          if (w.last_modified === undefined) batch.createRecord(w.record, { safe: true, permissions });
          else batch.updateRecord(w.record as { id: string }, { safe: true, last_modified: w.last_modified, permissions });
        }
      }),
      signal,
    );
    responses.forEach((response, i) => {
      const reason = refusal(response);
      if (reason) counts.refused.push(`${String(writes[i].record.id)}: ${reason}`);
    });
  };

  // At most `concurrency` chunks in flight; the first failure stops the reading.
  const inFlight = new Set<Promise<void>>();
  let failure: { error: unknown } | undefined;
  for await (const chunk of chunked(source, size)) {
    if (failure) break;
    const task: Promise<void> = writesOf(chunk)
      .then(send)
      .catch((error: unknown) => void (failure ??= { error }))
      .finally(() => inFlight.delete(task));
    inFlight.add(task);
    if (inFlight.size >= options.concurrency) await Promise.race(inFlight);
  }
  await Promise.all(inFlight);
  if (failure) throw failure.error;
  counts.onlyOnServer = server.size;
  return counts;
}
