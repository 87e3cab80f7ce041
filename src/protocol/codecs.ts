/**
 * io-ts codecs of every Kinto payload. A codec and its type share one name.
 */
import * as t from "io-ts";

/** Kinto permissions: a map from permission name (`read`, `write`, `record:create`...) to principals. */
export const Permissions = t.record(t.string, t.array(t.string), "Permissions");
/** Kinto permissions. */
export type Permissions = t.TypeOf<typeof Permissions>;

/**
 * A Kinto timestamp: milliseconds, a non-negative safe integer. A plain `t.number` would accept
 * `1e400` (JSON.parse gives `Infinity`: the next poll asks `_since=Infinity`), `-1e400` or `1.5`.
 */
// t.refinement (not t.brand): the type stays `number`, and decode's fast path knows refinements.
export const Timestamp = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, "Timestamp");
/** A Kinto timestamp in ms. */
export type Timestamp = t.TypeOf<typeof Timestamp>;

/** The fields every Kinto object has. */
export const KintoObjectMeta = t.type(
  {
    /** The object id. */
    id: t.string,
    /** When the object last changed: the server's timestamp, in milliseconds. */
    last_modified: Timestamp,
  },
  "KintoObjectMeta",
);
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
export const Tombstone = t.type(
  {
    /** The id of the deleted object. */
    id: t.string,
    /** When it was deleted. */
    last_modified: Timestamp,
    /** Always `true`. */
    deleted: t.literal(true),
  },
  "Tombstone",
);
/** A deleted object as the server reports it. */
export type Tombstone = t.TypeOf<typeof Tombstone>;

/** A group: an object with `members`. */
export const Group = t.intersection(
  [
    KintoObjectMeta,
    t.type({
      /** The principals of the group's members. */
      members: t.array(t.string),
    }),
    t.UnknownRecord,
  ],
  "Group",
);
/** A group: an object with `members`. */
export type Group = KintoObjectMeta & {
  /** The principals of the group's members. */
  members: string[];
  [key: string]: unknown;
};

/**
 * Builds a codec once per item codec: decoding with a prebuilt codec is twice as fast as building
 * it for every response.
 */
function memo<C extends t.Mixed, R>(build: (item: C) => R): (item: C) => R {
  const cache = new WeakMap<C, R>();
  return (item) => {
    let codec = cache.get(item);
    if (codec === undefined) cache.set(item, (codec = build(item)));
    return codec;
  };
}

/** `{data, permissions}` as returned by writes and by singular reads. */
export function envelope<C extends t.Mixed>(data: C) {
  return envelopeOf(data) as ReturnType<typeof buildEnvelope<C>>;
}
const envelopeOf = memo(buildEnvelope);
function buildEnvelope<C extends t.Mixed>(data: C) {
  return t.intersection(
    [
      t.type({
        /** The object. */
        data,
      }),
      t.partial({
        /** Its permissions (absent where the server omits them). */
        permissions: Permissions,
      }),
    ],
    `Envelope<${data.name}>`,
  );
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
  return listOf(item) as ReturnType<typeof buildList<C>>;
}
const listOf = memo(buildList);
function buildList<C extends t.Mixed>(item: C) {
  return t.type(
    {
      /** The objects. */
      data: t.array(item),
    },
    `List<${item.name}>`,
  );
}

/** A history entry (history plugin). */
export const HistoryEntry = t.intersection(
  [
    KintoObjectMeta,
    t.type({
      /** `create`, `update` or `delete`. */
      action: t.string,
      /** `bucket`, `collection`, `group` or `record`. */
      resource_name: t.string,
      /** The URI of the changed object. */
      uri: t.string,
      /** The principal who made the change. */
      user_id: t.string,
      /** When, as an ISO 8601 date. */
      date: t.string,
    }),
    t.partial({
      /** The changed object's timestamp after the change. */
      timestamp: Timestamp,
      /** The bucket of the changed object. */
      bucket_id: t.string,
      /** The collection of the changed object, if any. */
      collection_id: t.string,
      /** The id of the changed record, if a record. */
      record_id: t.string,
      /** The id of the changed group, if a group. */
      group_id: t.string,
      /** The object as it was after the change. */
      target: t.type({
        /** Its data. */
        data: t.UnknownRecord,
        /** Its permissions. */
        permissions: Permissions,
      }),
    }),
  ],
  "HistoryEntry",
);
/** A history entry (history plugin). */
export type HistoryEntry = t.TypeOf<typeof HistoryEntry>;

/** An entry of the permissions endpoint. */
export const PermissionEntry = t.intersection(
  [
    t.type({
      /** The resource's kind (`root`, `bucket`, `collection`, `group`, `record`...). */
      resource_name: t.string,
      /** The resource's path (e.g. `/buckets/b/collections/c`). */
      uri: t.string,
      /** The permissions the user has on it (e.g. `read`, `write`, `record:create`). */
      permissions: t.array(t.string),
    }),
    // The root entry (`uri: "/"`, `bucket:create`...) has no id.
    t.partial({
      /** The resource's id (absent for the root entry). */
      id: t.string,
      /** Id of the resource's bucket. */
      bucket_id: t.string,
      /** Id of the resource's collection. */
      collection_id: t.string,
      /** Id of the record. */
      record_id: t.string,
      /** Id of the group. */
      group_id: t.string,
    }),
  ],
  "PermissionEntry",
);
/** An entry of the permissions endpoint. */
export type PermissionEntry = t.TypeOf<typeof PermissionEntry>;

/** The server's `settings`. */
export const ServerSettings = t.intersection(
  [
    t.type({
      /** The most requests a `/batch` may hold. */
      batch_max_requests: t.number,
      /** Whether the server refuses writes. */
      readonly: t.boolean,
    }),
    t.UnknownRecord,
  ],
  "ServerSettings",
);
/** The server's `settings`. */
export type ServerSettings = t.TypeOf<typeof ServerSettings>;

/** The authenticated user, as the root endpoint reports it. */
export const ServerUser = t.intersection(
  [
    t.type({
      /** The user's principal (e.g. `account:alice`). */
      id: t.string,
    }),
    t.partial({
      /** The user's personal bucket (default_bucket plugin). */
      bucket: t.string,
      /** Every principal of the user (groups, `system.Authenticated`...). */
      principals: t.array(t.string),
    }),
    t.UnknownRecord,
  ],
  "ServerUser",
);
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
      /** The server's name (`kinto`). */
      project_name: t.string,
      /** The server's version. */
      project_version: t.string,
      /** The HTTP API version (e.g. `1.23`). */
      http_api_version: t.string,
      /** The server's root URL. */
      url: t.string,
      /** Public settings. */
      settings: ServerSettings,
      /** Installed plugins and features. */
      capabilities: ServerCapabilities,
    }),
    t.partial({
      /** The server's documentation URL. */
      project_docs: t.string,
      /** The authenticated user, when credentials were sent. */
      user: ServerUser,
    }),
    t.UnknownRecord,
  ],
  "ServerInfo",
);
/** The root endpoint (`GET /v1/`). */
export type ServerInfo = t.TypeOf<typeof ServerInfo>;

/** One response inside a `/batch` answer. */
export const BatchResponse = t.intersection(
  [
    t.type({
      /** The sub-request's HTTP status. */
      status: t.number,
      /** The sub-request's path. */
      path: t.string,
      /** The sub-response's JSON body. */
      body: t.unknown,
    }),
    t.partial({
      /** The sub-response's headers. */
      headers: t.record(t.string, t.string),
    }),
  ],
  "BatchResponse",
);
/** One response inside a `/batch` answer. */
export type BatchResponse = t.TypeOf<typeof BatchResponse>;

/** The `/batch` answer. */
export const BatchResponses = t.type(
  {
    /** One response per sub-request, in order. */
    responses: t.array(BatchResponse),
  },
  "BatchResponses",
);
/** The `/batch` answer. */
export type BatchResponses = t.TypeOf<typeof BatchResponses>;

/** An account of the accounts plugin (`/accounts/{id}`); `password` is the server's hash of it. */
export const Account = t.intersection(
  [
    KintoObjectMeta,
    t.partial({
      /** The stored password hash (never the password itself). */
      password: t.string,
    }),
    t.UnknownRecord,
  ],
  "Account",
);
/** An account of the accounts plugin. */
export type Account = t.TypeOf<typeof Account>;

/** An OpenID Connect provider, as the `openid` capability lists it. */
export const OpenIDProvider = t.intersection(
  [
    t.type({
      /** The provider's name in the server's settings (`multiauth.policy.<name>`). */
      name: t.string,
      /** The identity provider's issuer URL. */
      issuer: t.string,
      /** The login endpoint below the version root (`/openid/<name>/login`). */
      auth_path: t.string,
    }),
    t.partial({
      /** The client id registered at the provider. */
      client_id: t.string,
      /** The audience, if the provider needs one. */
      audience: t.string,
      /** The `Authorization` scheme of its tokens (`Bearer`). */
      header_type: t.string,
      /** The provider's userinfo endpoint. */
      userinfo_endpoint: t.string,
    }),
    t.UnknownRecord,
  ],
  "OpenIDProvider",
);
/** An OpenID Connect provider of the server. */
export type OpenIDProvider = t.TypeOf<typeof OpenIDProvider>;
