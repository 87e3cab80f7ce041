/**
 * A live dashboard: the current tasks, kept up to date by the collection's live feed. The first
 * listing gives the state and its timestamp; `watchRecords({ since })` then emits every record
 * created, updated or deleted after it (deletions as tombstones), by any client. `scan` folds the
 * changes into the state; unsubscribing stops the polling and aborts a request in flight.
 */
import { type Change, type Collection, type RecordOf } from "kinto-rx";
import { map, type Observable, scan, startWith, switchMap, toArray } from "rxjs";
import type { Task } from "./task";

type StoredTask = RecordOf<typeof Task>;

/** What the dashboard shows. */
export interface Dashboard {
  /** Tasks by id. */
  readonly tasks: ReadonlyMap<string, StoredTask>;
  /** Open tasks per assignee (`"(nobody)"` when unassigned). */
  readonly openByAssignee: ReadonlyMap<string, number>;
  /** How many changes the feed has delivered since the first listing. */
  readonly changes: number;
}

/** Whether a change is a deletion (a tombstone). */
function isDeletion(change: Change<StoredTask>): change is { id: string; last_modified: number; deleted: true } {
  return "deleted" in change && change.deleted === true;
}

function summarize(tasks: ReadonlyMap<string, StoredTask>, changes: number): Dashboard {
  const openByAssignee = new Map<string, number>();
  for (const task of tasks.values()) {
    if (task.done) continue;
    const who = task.assignee ?? "(nobody)";
    openByAssignee.set(who, (openByAssignee.get(who) ?? 0) + 1);
  }
  return { tasks, openByAssignee, changes };
}

/**
 * The dashboard, recomputed on every change.
 * @param collection the tasks collection
 * @param interval polling interval of the feed, in ms
 */
export function liveDashboard(collection: Collection<typeof Task>, interval = 2_000): Observable<Dashboard> {
  // Every page of the listing, keeping the list's timestamp to start the feed from.
  const initial = collection.listRecords({ pages: Infinity }).pipe(
    toArray(),
    map((pages) => ({ tasks: pages.flatMap((page) => page.data), since: pages[0].last_modified ?? undefined })),
  );
  return initial.pipe(
    switchMap(({ tasks, since }) => {
      const first = summarize(new Map(tasks.map((task) => [task.id, task])), 0);
      return collection.watchRecords({ since, interval }).pipe(
        scan((state, change) => {
          const next = new Map(state.tasks);
          if (isDeletion(change)) next.delete(change.id);
          else next.set(change.id, change);
          return summarize(next, state.changes + 1);
        }, first),
        startWith(first),
      );
    }),
  );
}

/** Example: print the open tasks per assignee whenever they change; returns the stop function. */
export function printDashboard(collection: Collection<typeof Task>): () => void {
  const subscription = liveDashboard(collection).subscribe((dashboard) => {
    console.log(`after ${dashboard.changes} change(s):`, Object.fromEntries(dashboard.openByAssignee));
  });
  return () => subscription.unsubscribe();
}
