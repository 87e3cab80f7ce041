/**
 * An Angular-style service: components bind to `records$` with the `async` pipe, and the service
 * owns the refreshes. It is plain RxJS (Angular's HttpClient is not needed: kinto-rx already
 * returns cold, cancellable Observables); in an Angular app, add `@Injectable({ providedIn: "root" })`
 * and inject the collection through a token.
 *
 *     @Component({
 *       selector: "task-list",
 *       template: `
 *         @if (tasks.records$ | async; as records) {
 *           <ul>@for (task of records; track task.id) { <li [class.done]="task.done">{{ task.title }}</li> }</ul>
 *         } @else { <p>Loading…</p> }
 *         <button (click)="tasks.add('New task')">Add</button>`,
 *     })
 *     export class TaskListComponent { constructor(readonly tasks: TaskService) {} }
 */
import { allRecords, type Collection, type RecordOf } from "kinto-rx";
import { BehaviorSubject, map, Observable, shareReplay, startWith, Subject, switchMap, tap } from "rxjs";
import type { Task } from "./task";

/** A task with its `id` and `last_modified`. */
export type StoredTask = RecordOf<typeof Task>;

/** The tasks of one collection, as a shared, refreshable stream. */
export class TaskService {
  private readonly refresh$ = new Subject<void>();
  /** Whether a listing is in flight (for a spinner). */
  readonly loading$ = new BehaviorSubject<boolean>(false);

  /**
   * Every task, sorted by title; listed again after each write. Shared: the components that
   * subscribe at the same time send one listing, and a refresh cancels a listing still in flight.
   */
  readonly records$: Observable<StoredTask[]> = this.refresh$.pipe(
    startWith(undefined),
    tap(() => this.loading$.next(true)),
    switchMap(() => this.collection.listRecords({ sort: "title", pages: Infinity }).pipe(allRecords())),
    tap(() => this.loading$.next(false)),
    shareReplay({ bufferSize: 1, refCount: true }),
  );

  /** The number of tasks not done yet. */
  readonly remaining$: Observable<number> = this.records$.pipe(map((tasks) => tasks.filter((task) => !task.done).length));

  constructor(private readonly collection: Collection<typeof Task>) {}

  /** Adds a task, then refreshes `records$`. Cold: nothing is sent until subscribed. */
  add(title: string): Observable<StoredTask> {
    return this.collection.createRecord({ title, done: false }).pipe(
      map(({ data }) => data),
      tap(() => this.refresh$.next()),
    );
  }

  /** Marks a task done (a PATCH, only if nobody changed it since it was read). */
  complete(task: StoredTask): Observable<StoredTask> {
    return this.collection.updateRecord({ id: task.id, done: true }, { patch: true, safe: true, last_modified: task.last_modified }).pipe(
      map(({ data }) => data),
      tap(() => this.refresh$.next()),
    );
  }
}
