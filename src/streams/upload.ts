/** STUB: uploads with backpressure (being written). */
import type { Observable } from "rxjs";
import type { Collection } from "../resources/collection";
/** What can be uploaded. */
export type UploadSource = Observable<Record<string, unknown>> | Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>;
/** Options of uploads. */
export interface UploadOptions { readonly chunkSize?: number; readonly concurrency?: number; readonly safe?: boolean; }
/** Progress and results of an upload. */
export type UploadEvent = unknown;
/** Upload. */
export function upload(collection: Collection<any>, source: UploadSource, options: UploadOptions): Observable<UploadEvent> { throw new Error("not implemented"); }
