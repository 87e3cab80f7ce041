import { AsyncPipe, isPlatformBrowser } from "@angular/common";
import { Component, inject, PLATFORM_ID } from "@angular/core";
import * as t from "io-ts";
import { allRecords, type Change, type RecordOf } from "kinto-rx";
import { KintoClient, outsideAngularZone } from "kinto-rx/angular";
import { EMPTY, merge, scan, startWith, Subject, switchMap } from "rxjs";

const Task = t.type({ title: t.string });
type StoredTask = RecordOf<typeof Task>;

@Component({
  selector: "task-list",
  imports: [AsyncPipe],
  template: `
    @if (tasks$ | async; as tasks) {
      <ul>
        @for (task of tasks; track task.id) {
          <li>{{ task.title }}</li>
        }
      </ul>
    } @else {
      <p>Loading…</p>
    }
    <form (submit)="$event.preventDefault(); add(title.value); title.value = ''">
      <input #title placeholder="New task" required />
      <button>Add</button>
    </form>
  `,
})
export class TaskList {
  private readonly kinto = inject(KintoClient);
  private readonly tasks = this.kinto.bucket(this.kinto.defaultBucket).collection("tasks", { codec: Task });
  private readonly added$ = new Subject<StoredTask>();
  private readonly changes$ = isPlatformBrowser(inject(PLATFORM_ID))
    ? this.tasks.watchRecords().pipe(outsideAngularZone<Change<StoredTask>>())
    : EMPTY; // no endless feed while rendering on the server

  /** Every task, sorted by title, then kept up to date by the records added here and the live feed. */
  readonly tasks$ = this.tasks.listRecords({ sort: "title", pages: Infinity }).pipe(
    allRecords(),
    switchMap((listed) => merge(this.added$, this.changes$).pipe(scan(apply, listed), startWith(listed))),
  );

  add(title: string): void {
    this.tasks.createRecord({ title }).subscribe(({ data }) => this.added$.next(data));
  }
}

function apply(tasks: StoredTask[], change: Change<StoredTask>): StoredTask[] {
  const others = tasks.filter((task) => task.id !== change.id);
  if ("deleted" in change) return others;
  return [...others, change].sort((a, b) => a.title.localeCompare(b.title));
}
