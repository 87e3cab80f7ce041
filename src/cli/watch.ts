/**
 * `kinto-rx watch`: the live feed of a collection as JSON lines on stdout, until Ctrl-C / SIGTERM
 * (exit 0) or until `--retry` polls in a row failed (exit 3).
 *
 * Each line says what happened, so that a record whose data holds `"deleted": true` is never taken
 * for a deletion:
 *
 * ```
 * {"kind":"changed","data":{"id":"p1","last_modified":1700000000000,"title":"..."}}
 * {"kind":"deleted","data":{"id":"p1","last_modified":1700000000001,"deleted":true}}
 * ```
 *
 * Kinto lists a tombstone as `{id, last_modified, deleted: true}` and nothing else; a record with
 * exactly those fields reads the same. Such items are checked with one listing without `_since`
 * (which leaves tombstones out) per poll: the ones it returns at the same `last_modified` are records.
 */
import { buffer, concatMap, connect, debounceTime, defer } from "rxjs";
import type { Collection, KintoClient, KintoObject } from "../index";
import type { Command } from "./args";
import type { Output } from "./output";
import { Stopped, until } from "./stop";

/** One line of `watch`. */
export type WatchLine = { readonly kind: "changed" | "deleted"; readonly data: Readonly<Record<string, unknown>> };

/** Whether `change` has the shape of a tombstone: `id`, `last_modified`, `deleted: true`, nothing else. */
export function tombstoneShaped(change: Readonly<Record<string, unknown>>): boolean {
  const keys = Object.keys(change);
  return change.deleted === true && keys.length === 3 && keys.includes("id") && keys.includes("last_modified");
}

/** Ids per confirming listing (`in_id`), so that its URL stays short. */
const CONFIRM_CHUNK = 100;

/** The ids among `ids` that are live records at `last_modified` (one listing per 100 ids). */
async function liveRecords(
  collection: Collection,
  candidates: readonly KintoObject[],
  command: { timeout: number; retry: number },
  signal: AbortSignal,
): Promise<Set<string>> {
  const live = new Set<string>();
  for (let start = 0; start < candidates.length; start += CONFIRM_CHUNK) {
    const chunk = candidates.slice(start, start + CONFIRM_CHUNK);
    const ids = chunk.map((c) => c.id);
    const page = await until(
      collection.listRecords({
        filters: { in_id: ids },
        fields: ["id"],
        limit: CONFIRM_CHUNK,
        timeout: command.timeout,
        retry: command.retry,
      }),
      signal,
    );
    const seen = new Map(page.data.map((r) => [r.id, r.last_modified]));
    for (const candidate of chunk) if (seen.get(candidate.id) === candidate.last_modified) live.add(candidate.id);
  }
  return live;
}

/** The lines of one poll's changes, tombstone-shaped ones checked against the server. */
async function classify(
  collection: Collection,
  changes: readonly KintoObject[],
  command: { timeout: number; retry: number },
  signal: AbortSignal,
): Promise<WatchLine[]> {
  const shaped = changes.filter((c) => tombstoneShaped(c));
  const live = shaped.length ? await liveRecords(collection, shaped, command, signal) : new Set<string>();
  return changes.map((data) => ({ kind: tombstoneShaped(data) && !live.has(data.id) ? "deleted" : "changed", data }));
}

/** Prints the changes of the command's collection until stopped. */
export async function runWatch(
  client: KintoClient,
  command: Extract<Command, { name: "watch" }>,
  out: Output,
  signal: AbortSignal,
): Promise<void> {
  const collection = client.bucket(command.bucket).collection(command.collection);
  const feed = collection.watchRecords({
    since: command.since,
    interval: command.interval,
    timeout: command.timeout,
    retry: command.retry,
  });
  const lines$ = feed.pipe(
    // A poll's changes arrive in one go: they are checked together, once the feed is quiet.
    connect((changes$) => changes$.pipe(buffer(changes$.pipe(debounceTime(0))))),
    concatMap((changes) =>
      defer(async () => {
        for (const line of await classify(collection, changes as KintoObject[], command, signal))
          await out.write(JSON.stringify(line) + "\n");
      }),
    ),
  );
  try {
    await until(lines$, signal);
  } catch (error) {
    // Ctrl-C and SIGTERM are how a watch ends.
    if (error instanceof Stopped && error.reason !== "EPIPE") return;
    throw error;
  }
}
