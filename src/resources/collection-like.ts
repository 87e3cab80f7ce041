/**
 * What the collection's helpers (attachments, changeset) use of a collection, as an interface: they
 * need its scope, names, codec and record reads, not the class (which imports them).
 */
import type * as t from "io-ts";
import type { Observable } from "rxjs";
import type { Envelope } from "../protocol/codecs";
import type { ReadOptions } from "../protocol/operations";
import type { Scope } from "../protocol/scope";

/** A collection as its helpers see it; `Collection` is one. */
export interface CollectionLike<T = unknown> {
  /** Where its operations run. */
  readonly scope: Scope;
  /** The collection id. */
  readonly name: string;
  /** Its bucket (only the id is used). */
  readonly bucket: { readonly name: string };
  /** The codec of one record. */
  readonly recordCodec: t.Type<T, unknown, unknown>;
  /** The records list's path, or one record's. */
  recordPath(...id: [] | [id: string | undefined]): string;
  /** One record, as `{data, permissions}`. */
  getRecord(id: string, options?: ReadOptions): Observable<Envelope<T>>;
}
