/** STUB: attachments (being written). */
import type { Observable } from "rxjs";
import type { Collection } from "./collection";
import type { ResourceOptions } from "./options";
import type { Envelope } from "./codecs";
/** Options of addAttachment. */
export interface AttachmentOptions extends ResourceOptions { readonly filename?: string; readonly last_modified?: number; readonly permissions?: Record<string, string[]>; }
/** addAttachment. */
export function addAttachment<T>(collection: Collection<any>, dataURL: string, record: Record<string, unknown>, options: AttachmentOptions): Observable<Envelope<T>> { throw new Error("not implemented"); }
/** removeAttachment. */
export function removeAttachment(collection: Collection<any>, recordId: string, options?: ResourceOptions): Observable<void> { throw new Error("not implemented"); }
