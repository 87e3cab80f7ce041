/**
 * Every payload codec, fed valid samples and wrong shapes: a wrong shape fails with a
 * PayloadValidationError naming the JSON path of the problem.
 */
import type * as t from "io-ts";
import {
  BatchResponse,
  BatchResponses,
  decodeWith,
  envelope,
  Group,
  HistoryEntry,
  KintoObject,
  KintoObjectMeta,
  list,
  PayloadValidationError,
  PermissionEntry,
  Permissions,
  ServerCapabilities,
  ServerInfo,
  ServerSettings,
  ServerUser,
  Tombstone,
} from "../../src";
import { AttachmentMetadata } from "../../src/resources/attachments";

const obj = { id: "a", last_modified: 1 };
const target = { data: { id: "r", last_modified: 2, title: "x" }, permissions: { write: ["u"] } };
const history = {
  ...obj,
  action: "update",
  resource_name: "record",
  uri: "/buckets/b/collections/c/records/r",
  user_id: "u",
  date: "2024-01-01",
  record_id: "r",
  target,
};
const settings = { batch_max_requests: 25, readonly: false };
const info = {
  project_name: "kinto",
  project_version: "19",
  http_api_version: "1.23",
  url: "http://x/v1/",
  settings,
  capabilities: { history: { url: "u" } },
};

interface Case {
  readonly name: string;
  readonly codec: t.Type<any, any, unknown>;
  readonly valid: readonly unknown[];
  /** A wrong value and the JSON path (one of) its issues must name. */
  readonly invalid: readonly [unknown, string][];
}

const cases: Case[] = [
  {
    name: "Permissions",
    codec: Permissions,
    valid: [{}, { read: ["a"], "record:create": [] }],
    invalid: [
      [{ read: "a" }, "$.read"],
      [{ write: [1] }, "$.write[0]"],
    ],
  },
  {
    name: "KintoObjectMeta",
    codec: KintoObjectMeta,
    valid: [obj],
    invalid: [
      [{ id: 1, last_modified: 1 }, "$.id"],
      [{ id: "a" }, "$.last_modified"],
    ],
  },
  {
    name: "KintoObject",
    codec: KintoObject,
    valid: [obj, { ...obj, extra: { deep: true } }],
    invalid: [
      [{ id: "a", last_modified: "1" }, "$.last_modified"],
      [null, "$"],
    ],
  },
  {
    name: "Tombstone",
    codec: Tombstone,
    valid: [{ ...obj, deleted: true }],
    invalid: [
      [{ ...obj, deleted: false }, "$.deleted"],
      [obj, "$.deleted"],
    ],
  },
  {
    name: "Group",
    codec: Group,
    valid: [
      { ...obj, members: [] },
      { ...obj, members: ["u"], label: "x" },
    ],
    invalid: [
      [obj, "$.members"],
      [{ ...obj, members: [3] }, "$.members[0]"],
    ],
  },
  {
    name: "envelope(KintoObject)",
    codec: envelope(KintoObject),
    valid: [{ data: obj }, { data: obj, permissions: { read: [] } }],
    invalid: [
      [{ data: { id: "a" } }, "$.data.last_modified"],
      [{ data: obj, permissions: { read: "x" } }, "$.permissions.read"],
    ],
  },
  {
    name: "list(KintoObject)",
    codec: list(KintoObject),
    valid: [{ data: [] }, { data: [obj, obj] }],
    invalid: [
      [{ data: [obj, { id: 2, last_modified: 1 }] }, "$.data[1].id"],
      [{ data: obj }, "$.data"],
    ],
  },
  {
    name: "HistoryEntry",
    codec: HistoryEntry,
    valid: [history, { ...history, target: undefined }],
    invalid: [
      [{ ...history, action: 3 }, "$.action"],
      [{ ...history, target: { data: {}, permissions: { read: "x" } } }, "$.target.permissions.read"],
    ],
  },
  {
    name: "PermissionEntry",
    codec: PermissionEntry,
    valid: [
      { uri: "/", resource_name: "root", permissions: ["bucket:create"] },
      { id: "b", bucket_id: "b", uri: "/buckets/b", resource_name: "bucket", permissions: [] },
    ],
    invalid: [
      [{ uri: "/", resource_name: "root", permissions: "read" }, "$.permissions"],
      [{ id: 1, uri: "/", resource_name: "bucket", permissions: [] }, "$.id"],
    ],
  },
  {
    name: "ServerSettings",
    codec: ServerSettings,
    valid: [settings, { ...settings, other: 1 }],
    invalid: [
      [{ readonly: false }, "$.batch_max_requests"],
      [{ ...settings, readonly: "no" }, "$.readonly"],
    ],
  },
  {
    name: "ServerUser",
    codec: ServerUser,
    valid: [{ id: "basicauth:x" }, { id: "u", bucket: "b", principals: ["u"] }],
    invalid: [
      [{}, "$.id"],
      [{ id: "u", principals: "u" }, "$.principals"],
    ],
  },
  {
    name: "ServerCapabilities",
    codec: ServerCapabilities,
    valid: [{}, { attachments: { base_url: "x" } }],
    invalid: [[{ history: true }, "$.history"]],
  },
  {
    name: "ServerInfo",
    codec: ServerInfo,
    valid: [info, { ...info, user: { id: "u" }, project_docs: "d" }],
    invalid: [
      [{ ...info, settings: {} }, "$.settings.batch_max_requests"],
      [{ ...info, user: { id: 3 } }, "$.user.id"],
    ],
  },
  {
    name: "BatchResponse",
    codec: BatchResponse,
    valid: [
      { status: 200, path: "/x", body: null },
      { status: 201, path: "/x", body: {}, headers: { ETag: '"1"' } },
    ],
    invalid: [
      [{ status: "200", path: "/x", body: {} }, "$.status"],
      [{ status: 200, path: "/x", body: {}, headers: { a: 1 } }, "$.headers.a"],
    ],
  },
  {
    name: "BatchResponses",
    codec: BatchResponses,
    valid: [{ responses: [] }],
    invalid: [[{ responses: [{ status: 200, body: {} }] }, "$.responses[0].path"]],
  },
  {
    name: "AttachmentMetadata",
    codec: AttachmentMetadata,
    valid: [{ filename: "a.txt", location: "http://x/a", hash: "h", mimetype: "text/plain", size: 3 }],
    invalid: [[{ filename: "a.txt", location: "l", hash: "h", mimetype: "t", size: "3" }, "$.size"]],
  },
];

describe.each(cases)("$name", ({ name, codec, valid, invalid }) => {
  it.each(valid.map((v, i) => [i, v]))("accepts valid sample %i", (_i, value) => {
    expect(decodeWith(codec, value, name)).toEqual(value);
  });

  it.each(invalid)("refuses %j at %s", (value, path) => {
    let error: unknown;
    try {
      decodeWith(codec, value, `sample of ${name}`);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(PayloadValidationError);
    const { context, issues, message } = error as PayloadValidationError;
    expect(context).toBe(`sample of ${name}`);
    expect(issues.map((i) => i.path)).toContain(path);
    expect(message).toContain(path);
  });
});
