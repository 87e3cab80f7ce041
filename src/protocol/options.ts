/**
 * The options cascade, in one place: client → bucket(…, options) → collection(…, options) → call.
 * The nearest level wins; headers are merged.
 */
import type * as t from "io-ts";

/** Options that a bucket, a collection or a single call may set. */
export interface ResourceOptions {
  /** Headers merged over the inherited ones. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Concurrency control (`If-Match` / `If-None-Match`), see the README's "safe option". */
  readonly safe?: boolean;
  /** Retries of transient failures. */
  readonly retry?: number;
  /** Timeout per attempt in ms (`null`: none). */
  readonly timeout?: number | null;
}

/** Options of a collection, which may also carry the codec of its records. */
export interface CollectionOptions<C extends t.Mixed | undefined = undefined> extends ResourceOptions {
  /** A user's io-ts codec for the records of this collection. */
  readonly codec?: C;
}

/** The result of the cascade: every field resolved. */
export interface Resolved {
  /** Merged headers. */
  readonly headers: Readonly<Record<string, string>>;
  /** Effective `safe`. */
  readonly safe: boolean;
  /** Effective retry count. */
  readonly retry: number;
  /** Effective timeout. */
  readonly timeout: number | null;
}

/**
 * Resolves the cascade of `scope`'s levels, then the call's own `last`: later levels win,
 * `undefined` fields inherit, headers are merged. The one implementation of the cascade; it runs
 * on every request, so it builds no array of the levels. The headers are always a new object of the caller's.
 */
export function resolve(scope: { readonly levels: readonly (ResourceOptions | undefined)[] }, last?: ResourceOptions): Resolved {
  const levels = scope.levels;
  let headers: Record<string, string> = {};
  let safe = false;
  let retry = 0;
  let timeout: number | null = null;
  for (let i = 0; i <= levels.length; i++) {
    const level = i < levels.length ? levels[i] : last;
    if (!level) continue;
    if (level.headers) headers = { ...headers, ...level.headers };
    if (level.safe !== undefined) safe = level.safe;
    if (level.retry !== undefined) retry = level.retry;
    if (level.timeout !== undefined) timeout = level.timeout;
  }
  return { headers, safe, retry, timeout };
}

/**
 * Concurrency headers of the `safe` option: with a `last_modified`, `If-Match`; otherwise
 * `If-None-Match: *` (create only if absent).
 */
export function safeHeaders(safe: boolean, lastModified?: number | string): Record<string, string> {
  if (!safe) return {};
  if (lastModified !== undefined && lastModified !== null && lastModified !== "") return { "If-Match": `"${lastModified}"` };
  return { "If-None-Match": "*" };
}
