/**
 * io-ts codecs of every Kinto payload. A codec and its type share one name.
 */
import * as t from "io-ts";

/** Kinto permissions: a map from permission name (`read`, `write`, `record:create`...) to principals. */
export const Permissions = t.record(t.string, t.array(t.string), "Permissions");
/** Kinto permissions. */
export type Permissions = t.TypeOf<typeof Permissions>;

/** The fields every Kinto object has. */
export const KintoObjectMeta = t.type({ id: t.string, last_modified: t.number }, "KintoObjectMeta");
/** The fields every Kinto object has. */
export type KintoObjectMeta = t.TypeOf<typeof KintoObjectMeta>;

/** The fields every record has: `id` and `last_modified`. */
export const KintoRecordMeta = KintoObjectMeta;
/** The fields every record has: `id` and `last_modified`. */
export type KintoRecordMeta = KintoObjectMeta;

/** Any Kinto object (bucket, collection, record...): `id`, `last_modified` and unknown other fields. */
export const KintoObject = t.intersection([KintoObjectMeta, t.UnknownRecord], "KintoObject");
/** Any Kinto object: `id`, `last_modified` and unknown other fields. */
export type KintoObject = KintoObjectMeta & { [key: string]: unknown };

/** A record without a user codec. */
export const KintoRecord = KintoObject;
/** A record without a user codec. */
export type KintoRecord = KintoObject;

/** A deleted object as the server reports it. */
export const Tombstone = t.type({ id: t.string, last_modified: t.number, deleted: t.literal(true) }, "Tombstone");
/** A deleted object as the server reports it. */
export type Tombstone = t.TypeOf<typeof Tombstone>;

/** A group: an object with `members`. */
export const Group = t.intersection([KintoObjectMeta, t.type({ members: t.array(t.string) }), t.UnknownRecord], "Group");
/** A group: an object with `members`. */
export type Group = KintoObjectMeta & { members: string[]; [key: string]: unknown };

/** `{data, permissions}` as returned by writes and by singular reads. */
export function envelope<C extends t.Mixed>(data: C) {
  return t.intersection([t.type({ data }), t.partial({ permissions: Permissions })], `Envelope<${data.name}>`);
}
/** `{data, permissions}` as returned by writes and by singular reads. */
export interface Envelope<T> {
  /** The object. */
  data: T;
  /** Its permissions (absent where the server omits them). */
  permissions?: Permissions;
}

/** `{data: [...]}` as returned by list endpoints. */
export function list<C extends t.Mixed>(item: C) {
  return t.type({ data: t.array(item) }, `List<${item.name}>`);
}

/** A history entry (history plugin). */
export const HistoryEntry = t.intersection(
  [
    KintoObjectMeta,
    t.type({ action: t.string, resource_name: t.string, uri: t.string, user_id: t.string, date: t.string }),
    t.partial({
      timestamp: t.number,
      bucket_id: t.string,
      collection_id: t.string,
      record_id: t.string,
      group_id: t.string,
      target: t.type({ data: t.UnknownRecord, permissions: Permissions }),
    }),
  ],
  "HistoryEntry",
);
/** A history entry (history plugin). */
export type HistoryEntry = t.TypeOf<typeof HistoryEntry>;

/** An entry of the permissions endpoint. */
export const PermissionEntry = t.intersection(
  [
    t.type({ id: t.string, resource_name: t.string, uri: t.string, permissions: t.array(t.string) }),
    t.partial({ bucket_id: t.string, collection_id: t.string, record_id: t.string, group_id: t.string }),
  ],
  "PermissionEntry",
);
/** An entry of the permissions endpoint. */
export type PermissionEntry = t.TypeOf<typeof PermissionEntry>;

/** The server's `settings`. */
export const ServerSettings = t.intersection(
  [t.type({ batch_max_requests: t.number, readonly: t.boolean }), t.UnknownRecord],
  "ServerSettings",
);
/** The server's `settings`. */
export type ServerSettings = t.TypeOf<typeof ServerSettings>;

/** The authenticated user, as the root endpoint reports it. */
export const ServerUser = t.intersection([t.type({ id: t.string }), t.partial({ bucket: t.string, principals: t.array(t.string) }), t.UnknownRecord], "ServerUser");
/** The authenticated user. */
export type ServerUser = t.TypeOf<typeof ServerUser>;

/** The server's capabilities: a map from capability name to its description. */
export const ServerCapabilities = t.record(t.string, t.UnknownRecord, "ServerCapabilities");
/** The server's capabilities. */
export type ServerCapabilities = t.TypeOf<typeof ServerCapabilities>;

/** The root endpoint (`GET /v1/`). */
export const ServerInfo = t.intersection(
  [
    t.type({
      project_name: t.string,
      project_version: t.string,
      http_api_version: t.string,
      url: t.string,
      settings: ServerSettings,
      capabilities: ServerCapabilities,
    }),
    t.partial({ project_docs: t.string, user: ServerUser }),
    t.UnknownRecord,
  ],
  "ServerInfo",
);
/** The root endpoint (`GET /v1/`). */
export type ServerInfo = t.TypeOf<typeof ServerInfo>;

/** One response inside a `/batch` answer. */
export const BatchResponse = t.intersection(
  [t.type({ status: t.number, path: t.string, body: t.unknown }), t.partial({ headers: t.record(t.string, t.string) })],
  "BatchResponse",
);
/** One response inside a `/batch` answer. */
export type BatchResponse = t.TypeOf<typeof BatchResponse>;

/** The `/batch` answer. */
export const BatchResponses = t.type({ responses: t.array(BatchResponse) }, "BatchResponses");
/** The `/batch` answer. */
export type BatchResponses = t.TypeOf<typeof BatchResponses>;

/** Kinto's JSON error body. */
export const ErrorBody = t.intersection(
  [t.type({ code: t.number, errno: t.number, error: t.string }), t.partial({ message: t.string, details: t.unknown, info: t.string })],
  "ErrorBody",
);
/** Kinto's JSON error body. */
export type ErrorBody = t.TypeOf<typeof ErrorBody>;
