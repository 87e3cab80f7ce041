/**
 * Endpoint paths. Ids are checked and encoded here and only here, so that no id can reach
 * another resource (`/`, `..`, `?`, `#` become part of one path segment, or are refused).
 */
import { InvalidArgumentError } from "../http/errors";

/**
 * Encodes `id` as one path segment, refusing what cannot be one.
 * @param id the id given by the caller
 * @param what what the id names, for the error message (`bucket`, `record`...)
 */
export function segment(id: unknown, what: string): string {
  if (typeof id !== "string" || id === "") {
    throw new InvalidArgumentError(`A ${what} id is required (a non-empty string), got ${id === "" ? '""' : typeof id}.`);
  }
  if (id === "." || id === "..") {
    throw new InvalidArgumentError(`The ${what} id ${JSON.stringify(id)} is not allowed: it would change the URL path.`);
  }
  return encodeURIComponent(id);
}

/**
 * The optional id of a path builder: no argument names the list; an argument, even `undefined`
 * (`deleteBucket(undefined)`), names one object and must be a valid id, never the whole list.
 */
type Id = [] | [id: string | undefined];

function item(ids: Id, what: string): string {
  return ids.length === 0 ? "" : `/${segment(ids[0], what)}`;
}

/** Builders of every endpoint path below the version root. */
export const paths = {
  /** `/` (server info). */
  root: () => "/",
  /** `/batch`. */
  batch: () => "/batch",
  /** `/permissions`. */
  permissions: () => "/permissions",
  /** `/buckets` or `/buckets/{id}`. */
  bucket: (...bid: Id) => `/buckets${item(bid, "bucket")}`,
  /** History of a bucket. */
  history: (bid: string) => `${paths.bucket(bid)}/history`,
  /** Collections of a bucket, or one. */
  collection: (bid: string, ...cid: Id) => `${paths.bucket(bid)}/collections${item(cid, "collection")}`,
  /** Groups of a bucket, or one. */
  group: (bid: string, ...gid: Id) => `${paths.bucket(bid)}/groups${item(gid, "group")}`,
  /** Records of a collection, or one. */
  record: (bid: string, cid: string, ...rid: Id) => `${paths.collection(bid, cid)}/records${item(rid, "record")}`,
  /** `/accounts` or `/accounts/{id}` (accounts plugin). */
  account: (...id: Id) => `/accounts${item(id, "account")}`,
  /** The snapshot of a collection at a timestamp (history plugin). */
  snapshot: (bid: string, cid: string, at: number) => `${paths.bucket(bid)}/snapshot/collections/${segment(cid, "collection")}@${at}`,
  /** Attachment of a record (kinto-attachment). */
  attachment: (bid: string, cid: string, rid: string) => `${paths.record(bid, cid, rid)}/attachment`,
};

/** The id of `value` (an id or an object with one), checked. */
export function idOf(value: string | { id: string } | null | undefined): string {
  const id = typeof value === "string" ? value : value?.id;
  segment(id, "object");
  return id as string;
}

/**
 * The path of the version root on the server (`/v1` for `http://host/v1`): what sub-requests of a
 * `/batch` start with.
 */
export function versionPrefix(remote: string): string {
  return new URL(remote + "/").pathname.replace(/\/$/, "");
}
