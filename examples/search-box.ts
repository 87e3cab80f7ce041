/**
 * A search box: the terms typed by the user (a Subject fed by the input's events) become server
 * queries with Kinto's filters. `debounceTime` waits for a pause in typing, `distinctUntilChanged`
 * drops repeated terms, and `switchMap` cancels the previous request (its fetch is aborted) when a
 * new term arrives, so a slow answer to an old term never overwrites a newer one.
 */
import { type Collection, type FilterValue, KintoHttpError, type RecordOf } from "kinto-rx";
import { catchError, debounceTime, distinctUntilChanged, map, type Observable, of, startWith, Subject, switchMap } from "rxjs";
import type { Task } from "./task";

/** What the result list shows. */
export type SearchState =
  | { readonly kind: "idle" }
  | { readonly kind: "loading"; readonly term: string }
  | { readonly kind: "results"; readonly term: string; readonly tasks: RecordOf<typeof Task>[]; readonly more: boolean }
  | { readonly kind: "error"; readonly term: string; readonly message: string };

/**
 * Search results for a stream of terms: tasks whose title contains the term (`like_title`),
 * not done unless `includeDone`, the first 20 by title.
 * @param terms the raw input values
 * @param collection the tasks collection
 * @param includeDone also list the tasks already done
 */
export function searchTasks(terms: Observable<string>, collection: Collection<typeof Task>, includeDone = false): Observable<SearchState> {
  return terms.pipe(
    map((term) => term.trim()),
    debounceTime(300),
    distinctUntilChanged(),
    switchMap((term): Observable<SearchState> => {
      if (term.length < 2) return of({ kind: "idle" });
      const filters: Record<string, FilterValue> = { like_title: `*${term}*` };
      if (!includeDone) filters.done = false;
      return collection.listRecords({ filters, sort: "title", limit: 20 }).pipe(
        map((page): SearchState => ({ kind: "results", term, tasks: page.data, more: page.hasNextPage })),
        startWith<SearchState>({ kind: "loading", term }),
        catchError((error: unknown) =>
          of<SearchState>({ kind: "error", term, message: error instanceof KintoHttpError ? `HTTP ${error.status}` : String(error) }),
        ),
      );
    }),
  );
}

/** Wiring in a page: the input's `input` events feed the Subject; each state is rendered. */
export function mountSearchBox(input: HTMLInputElement, output: HTMLElement, collection: Collection<typeof Task>): () => void {
  const terms = new Subject<string>();
  const listener = () => terms.next(input.value);
  input.addEventListener("input", listener);
  const subscription = searchTasks(terms, collection).subscribe((state) => {
    output.textContent =
      state.kind === "results"
        ? state.tasks.map((task) => task.title).join("\n") + (state.more ? "\n…" : "")
        : state.kind === "loading"
          ? "Searching…"
          : state.kind === "error"
            ? `Search failed (${state.message})`
            : "";
  });
  return () => {
    input.removeEventListener("input", listener);
    subscription.unsubscribe(); // aborts a search still in flight
  };
}
