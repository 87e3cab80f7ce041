/**
 * What an import has to do, from one listing of the collection (ids and content hashes, page by
 * page): which records of the file are new, which the server already holds as they are, and
 * which it holds with other content.
 */
import type { Collection, KintoObject, Page } from "../index";
import { contentHash, type CheckedFile } from "./jsonl";
import { until } from "./stop";

/** The import's work, before anything is sent. */
export interface Plan {
  /** Records of the file the server does not hold. */
  readonly fresh: number;
  /** Records the server holds with the same content. */
  readonly same: number;
  /** Records the server holds with other content: id → the server's `last_modified`. */
  readonly changed: ReadonlyMap<string, number>;
  /** Every id of the file that the server holds (same or changed). */
  readonly held: ReadonlySet<string>;
}

/** Lists the collection once and compares it with the checked file. */
export async function plan(collection: Collection, file: CheckedFile, signal: AbortSignal): Promise<Plan> {
  const held = new Set<string>();
  const changed = new Map<string, number>();
  let page: Page<KintoObject> = await until(collection.listRecords({ pages: 1 }), signal);
  for (;;) {
    for (const record of page.data) {
      const mine = file.records.get(record.id);
      if (!mine) continue;
      held.add(record.id);
      if (contentHash(record) !== mine.hash) changed.set(record.id, record.last_modified);
    }
    if (!page.hasNextPage) break;
    page = await until(page.next(), signal);
  }
  return { fresh: file.records.size - held.size, same: held.size - changed.size, changed, held };
}
