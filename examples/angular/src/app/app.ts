import { afterEveryRender, Component } from "@angular/core";
import { TaskList } from "./task-list";

@Component({
  selector: "app-root",
  imports: [TaskList],
  template: `<h1>Tasks</h1>
    <task-list />`,
})
export class App {
  constructor() {
    // Counted for test/angular/app.test.ts: how often change detection rendered the page.
    const counter = globalThis as { kintoRenders?: number };
    afterEveryRender(() => (counter.kintoRenders = (counter.kintoRenders ?? 0) + 1));
  }
}
