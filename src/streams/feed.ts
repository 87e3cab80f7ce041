/** STUB: the live feed (being written). */
import type { Observable } from "rxjs";
import type { Collection } from "../resources/collection";
import type { FilterValue } from "./pages";
/** Options of the live feed. */
export interface WatchOptions { readonly since?: string | number; readonly interval?: number; readonly filters?: Readonly<Record<string, FilterValue>>; }
/** One change seen by the feed. */
export type Change<T> = T | { id: string; last_modified: number; deleted: true };
/** The live feed. */
export function watch<T>(collection: Collection<any>, options: WatchOptions): Observable<Change<T>> { throw new Error("not implemented"); }
