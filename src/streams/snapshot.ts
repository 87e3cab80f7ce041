/** STUB: listRecords({at}) (being written). */
import type { Observable } from "rxjs";
import type { Collection } from "../resources/collection";
import type { ListOptions, Page } from "./pages";
/** Snapshot. */
export function snapshot<T>(collection: Collection<any>, at: number, options: ListOptions): Observable<Page<T>> { throw new Error("not implemented"); }
