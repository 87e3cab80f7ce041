/**
 * What every listing shares, as values: the list options, their query string, and the headers a
 * listing answers with (ETag, Total-Records).
 */
import type { QueryValue } from "../http/request";
import type { ResourceOptions } from "./options";

/** A filter value: equality, or a list for `in_`, `exclude_`, `contains_`... */
export type FilterValue = string | number | boolean | readonly (string | number)[];

/** The generic parameters for sorting, filtering and paginating results. */
export interface ListOptions extends ResourceOptions {
  /** Sort field(s), e.g. `title` or `-last_modified` (default `-last_modified`). */
  readonly sort?: string;
  /** Objects per page (`_limit`); the server's `paginate_by` when unset. */
  readonly limit?: number;
  /** How many pages to fetch (default 1); `Infinity` for all, fetched lazily. */
  readonly pages?: number;
  /**
   * Most requests this listing may send, Next-Pages included (default 100,000): beyond, it fails
   * with a {@link PaginationLoopError}. A Next-Page URL already requested fails at once.
   */
  readonly maxRequests?: number;
  /** Filters, with Kinto's operators as key prefixes (`min_size`, `in_id`, `has_title`...). */
  readonly filters?: Readonly<Record<string, FilterValue>>;
  /** Only objects changed after this timestamp (`_since`), tombstones included. */
  readonly since?: string | number;
  /** Only objects changed before this timestamp (`_before`). */
  readonly before?: string | number;
  /** Only these fields (`_fields`). */
  readonly fields?: readonly string[];
}

/** Query parameters of {@link ListOptions}. */
export function listQuery(options: ListOptions): Record<string, QueryValue> {
  const query: Record<string, QueryValue> = { _sort: options.sort ?? "-last_modified" };
  if (options.limit !== undefined) query._limit = options.limit;
  if (options.since !== undefined) query._since = etagValue(String(options.since));
  if (options.before !== undefined) query._before = etagValue(String(options.before));
  if (options.fields) query._fields = options.fields;
  for (const [key, value] of Object.entries(options.filters ?? {})) query[key] = value;
  return query;
}

/**
 * Strips the double quotes of an ETag, and the `W/` of a weak one (`W/"123"` → `123`): a proxy that
 * compresses responses (nginx's gzip) turns Kinto's `"123"` into `W/"123"`.
 */
export function unquote(etag: string): string;
export function unquote(etag: string | null): string | null;
export function unquote(etag: string | null): string | null {
  return etag === null ? null : etagValue(etag);
}

/** An ETag's value: `W/` and the double quotes stripped, surrounding spaces trimmed. */
function etagValue(etag: string): string {
  return etag.trim().replace(/^W\//, "").replace(/"/g, "");
}

/**
 * The timestamp an ETag (strong `"123"` or weak `W/"123"`) stands for, as a string of digits; `null`
 * when there is no ETag or it is not a Kinto timestamp (digits only, a safe integer).
 * @param etag an `ETag` header value
 * @example
 * etagTimestamp('W/"1700000000000"'); // "1700000000000"
 */
export function etagTimestamp(etag: string | null | undefined): string | null {
  if (etag == null) return null;
  const value = etagValue(etag);
  return /^\d+$/.test(value) && Number.isSafeInteger(Number(value)) ? value : null;
}

/** `Total-Records` (or `Total-Objects`) as a safe integer; `null` when absent or absurd (`1e400` digits). */
export function totalFrom(headers: Pick<Headers, "get">): number | null {
  const value = (headers.get("Total-Records") ?? headers.get("Total-Objects"))?.trim();
  return value !== undefined && /^\d{1,16}$/.test(value) && Number.isSafeInteger(Number(value)) ? Number(value) : null;
}
