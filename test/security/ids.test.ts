/**
 * Hostile ids against the real server, for every method that takes one (bucket, collection, group,
 * record, attachment, and the same calls queued in a batch):
 * - `.`, `..`, `""` and non-strings are refused before any request (InvalidArgumentError, no fetch);
 * - ids with `/`, `..`, `%2F`, `?`, `#`, spaces, non-ASCII, `%00`... reach the server as exactly one
 *   encoded path segment, and nothing else on the server changes (its state read before and after).
 * (test/integration/collection-extras.test.ts covers createRecord and a few reads; this extends it.)
 */
import { firstValueFrom, type Observable } from "rxjs";
import { InvalidArgumentError, KintoClient, KintoHttpError, type BatchResponse, type FetchLike } from "../../src";
import { kintoUrl, uniqueName } from "../helpers";
import { kintoBackend } from "../server/kinto-server";

// A user of its own: the bucket listing compared before/after is not changed by other test files.
const AUTH = "Basic " + Buffer.from(`${uniqueName("ids-user")}:pw`).toString("base64");
const BUCKET = uniqueName("ids");
const DATA_URL = `data:text/plain;name=a.txt;base64,${Buffer.from("hi").toString("base64")}`;

async function raw(method: string, path: string, body?: unknown): Promise<{ status: number; json: any }> {
  const response = await fetch(kintoUrl() + path, {
    method,
    headers: { Authorization: AUTH, "Content-Type": "application/json" },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, json: text ? JSON.parse(text) : undefined };
}

/** A client whose fetch records each URL and each `/batch` body. */
function capturing(): { client: KintoClient; urls: string[]; batches: { path: string }[][] } {
  const urls: string[] = [];
  const batches: { path: string }[][] = [];
  const fetchSpy: FetchLike = (url, init) => {
    urls.push(url);
    if (url.endsWith("/batch")) batches.push(JSON.parse(String(init.body)).requests);
    return fetch(url, init);
  };
  return { client: new KintoClient(kintoUrl(), { headers: { Authorization: AUTH }, fetch: fetchSpy }), urls, batches };
}

type Call = (client: KintoClient, id: any) => Observable<unknown>;
const b = (c: KintoClient) => c.bucket(BUCKET);
const coll = (c: KintoClient) => b(c).collection("c");

/**
 * Every id-taking method: the call, the path segments it must produce (`X` = the encoded id, after
 * `/v1`), and whether it is a creation (where a `null`/`undefined` id lets the server pick one).
 */
const METHODS: [string, Call, string[], boolean?][] = [
  ["client.bucket().getData", (c, id) => c.bucket(id).getData(), ["buckets", "X"]],
  [
    "client.bucket().collection().listRecords",
    (c, id) => c.bucket(id).collection("c").listRecords(),
    ["buckets", "X", "collections", "c", "records"],
  ],
  ["client.createBucket", (c, id) => c.createBucket(id), ["buckets", "X"], true],
  ["client.deleteBucket", (c, id) => c.deleteBucket(id), ["buckets", "X"]],
  ["client.deleteBucket({id})", (c, id) => c.deleteBucket({ id }), ["buckets", "X"]],
  ["bucket.collection().getData", (c, id) => b(c).collection(id).getData(), ["buckets", BUCKET, "collections", "X"]],
  ["bucket.collection().getRecord", (c, id) => b(c).collection(id).getRecord("r"), ["buckets", BUCKET, "collections", "X", "records", "r"]],
  ["bucket.createCollection", (c, id) => b(c).createCollection(id), ["buckets", BUCKET, "collections", "X"], true],
  ["bucket.deleteCollection", (c, id) => b(c).deleteCollection(id), ["buckets", BUCKET, "collections", "X"]],
  ["bucket.deleteCollection({id})", (c, id) => b(c).deleteCollection({ id }), ["buckets", BUCKET, "collections", "X"]],
  ["bucket.getGroup", (c, id) => b(c).getGroup(id), ["buckets", BUCKET, "groups", "X"]],
  ["bucket.createGroup", (c, id) => b(c).createGroup(id, []), ["buckets", BUCKET, "groups", "X"], true],
  ["bucket.updateGroup", (c, id) => b(c).updateGroup({ id, members: [] }), ["buckets", BUCKET, "groups", "X"]],
  ["bucket.deleteGroup", (c, id) => b(c).deleteGroup(id), ["buckets", BUCKET, "groups", "X"]],
  ["collection.getRecord", (c, id) => coll(c).getRecord(id), ["buckets", BUCKET, "collections", "c", "records", "X"]],
  ["collection.createRecord", (c, id) => coll(c).createRecord({ id, n: 1 }), ["buckets", BUCKET, "collections", "c", "records", "X"], true],
  ["collection.updateRecord", (c, id) => coll(c).updateRecord({ id, n: 1 }), ["buckets", BUCKET, "collections", "c", "records", "X"]],
  ["collection.deleteRecord", (c, id) => coll(c).deleteRecord(id), ["buckets", BUCKET, "collections", "c", "records", "X"]],
  ["collection.deleteRecord({id})", (c, id) => coll(c).deleteRecord({ id }), ["buckets", BUCKET, "collections", "c", "records", "X"]],
  [
    "collection.removeAttachment",
    (c, id) => coll(c).removeAttachment(id),
    ["buckets", BUCKET, "collections", "c", "records", "X", "attachment"],
  ],
  [
    "collection.addAttachment",
    (c, id) => coll(c).addAttachment(DATA_URL, { id }),
    ["buckets", BUCKET, "collections", "c", "records", "X", "attachment"],
    true,
  ],
];

/** The same calls queued in a batch: the sub-request path must hold the id as one segment. */
const BATCHED: [string, (c: KintoClient, id: any) => Observable<unknown>, string[]][] = [
  ["batch: createCollection", (c, id) => b(c).batch((batch) => batch.createCollection(id)), ["buckets", BUCKET, "collections", "X"]],
  ["batch: deleteGroup", (c, id) => b(c).batch((batch) => batch.deleteGroup(id)), ["buckets", BUCKET, "groups", "X"]],
  [
    "batch: updateRecord",
    (c, id) => coll(c).batch((batch) => batch.updateRecord({ id, n: 1 })),
    ["buckets", BUCKET, "collections", "c", "records", "X"],
  ],
  [
    "batch: deleteRecord",
    (c, id) => coll(c).batch((batch) => batch.deleteRecord(id)),
    ["buckets", BUCKET, "collections", "c", "records", "X"],
  ],
  [
    "batch: bucket().collection().getRecord",
    (c, id) => c.batch((batch) => batch.bucket(BUCKET).collection(id).getRecord("r")),
    ["buckets", BUCKET, "collections", "X", "records", "r"],
  ],
];

const HOSTILE = [
  "a/b",
  "../victim",
  "../../collections/victim",
  "..%2Fvictim",
  "%2F",
  "?_since=1",
  "#frag",
  "with space",
  "é日本",
  "%00",
  "a\u0000b",
  "./.",
  "...",
  "c/records/v1",
];
const REFUSED_STRINGS = [".", "..", ""];
const NON_STRINGS = [42, {}, ["c"], true, { toString: () => "victim" }];

/** The server state that a misrouted request could change: everything this user can see. */
async function state(): Promise<unknown> {
  const get = async (path: string) => (await raw("GET", path)).json;
  return {
    buckets: (await get("/buckets?_sort=id")).data,
    bucket: await get(`/buckets/${BUCKET}`),
    collections: (await get(`/buckets/${BUCKET}/collections?_sort=id`)).data,
    groups: (await get(`/buckets/${BUCKET}/groups?_sort=id`)).data,
    c: (await get(`/buckets/${BUCKET}/collections/c/records?_sort=id`)).data,
    victim: (await get(`/buckets/${BUCKET}/collections/victim/records?_sort=id`)).data,
  };
}

beforeAll(async () => {
  expect((await raw("PUT", `/buckets/${BUCKET}`)).status).toBe(201);
  for (const cid of ["c", "victim"]) expect((await raw("PUT", `/buckets/${BUCKET}/collections/${cid}`)).status).toBe(201);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/c/records/r`, { data: { n: 0 } })).status).toBe(201);
  expect((await raw("PUT", `/buckets/${BUCKET}/collections/victim/records/v1`, { data: { n: 0 } })).status).toBe(201);
  expect((await raw("PUT", `/buckets/${BUCKET}/groups/victim`, { data: { members: [] } })).status).toBe(201);
});

afterAll(() => raw("DELETE", `/buckets/${BUCKET}`));

describe("ids refused before any request", () => {
  const calls = [...METHODS, ...BATCHED];

  // Creations turn a non-string id into a string (`String(id)`, as kinto-http.js), checked like any id.
  const creates = new Set(
    METHODS.filter(([, , , create]) => create)
      .map(([name]) => name)
      .concat("batch: createCollection"),
  );

  it.each(calls.map(([name, call]) => [name, call] as const))("%s: '.', '..', '' and non-strings", async (name, call) => {
    const { client, urls } = capturing();
    for (const id of [...REFUSED_STRINGS, ...(creates.has(name) ? [{ toString: () => ".." }] : NON_STRINGS)]) {
      const error = await firstValueFrom(call(client, id)).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(InvalidArgumentError);
    }
    expect(urls).toEqual([]);
  });

  it.each(METHODS.filter(([, , , create]) => !create).map(([name, call]) => [name, call] as const))(
    "%s: null and undefined",
    async (_name, call) => {
      const { client, urls } = capturing();
      for (const id of [null, undefined]) await expect(firstValueFrom(call(client, id))).rejects.toThrow(InvalidArgumentError);
      expect(urls).toEqual([]);
    },
  );
});

/**
 * What Kinto answers a hostile id. On PostgreSQL, an id with a NUL character is a 500: PostgreSQL
 * cannot hold U+0000 in text or jsonb ("unsupported Unicode escape sequence"), and Kinto does not
 * turn that into a 400. The state check after each test still proves that nothing was touched.
 */
function refusals(id: string): number[] {
  return kintoBackend() === "postgresql" && id.includes("\u0000") ? [400, 403, 404, 500] : [400, 403, 404];
}

/** The path of `url` below the remote, split into its raw (still encoded) segments. */
function segments(url: string): string[] {
  expect(url.startsWith(kintoUrl() + "/")).toBe(true);
  const rest = url.slice(kintoUrl().length + 1).split("?")[0];
  expect(url).not.toContain("#");
  // What fetch sends is what was built: no dot segment resolved, no character re-encoded.
  expect(new URL(url).pathname).toBe(new URL(kintoUrl()).pathname + "/" + rest);
  return rest.split("/");
}

function expected(template: string[], id: string): string[] {
  return template.map((s) => (s === "X" ? encodeURIComponent(id) : s));
}

describe("hostile ids reach the server as one encoded segment and touch nothing else", () => {
  let before: unknown;
  beforeAll(async () => {
    before = await state();
  });
  afterEach(async () => {
    expect(await state()).toEqual(before);
  });

  it.each(METHODS.map(([name, call, template]) => [name, call, template] as const))("%s", async (_name, call, template) => {
    for (const id of HOSTILE) {
      const { client, urls } = capturing();
      const error = await firstValueFrom(call(client, id)).catch((e: unknown) => e);
      // Kinto refuses such ids (400) or finds nothing there (404, 403 for a bucket not ours).
      expect(error).toBeInstanceOf(KintoHttpError);
      expect(refusals(id)).toContain((error as KintoHttpError).status);
      // Besides the call, at most the server info, read once to tell a missing plugin from a missing object.
      expect(urls.filter((url) => new URL(url).pathname !== new URL(kintoUrl()).pathname + "/")).toHaveLength(1);
      const sent = segments(urls[0]);
      expect(sent).toEqual(expected(template, id));
      expect(decodeURIComponent(sent[template.indexOf("X")])).toBe(id);
    }
  });

  it.each(BATCHED)("%s", async (_name, call, template) => {
    const prefix = new URL(kintoUrl()).pathname;
    for (const id of HOSTILE) {
      const { client, batches } = capturing();
      const result = (await firstValueFrom(call(client, id)).catch((error: unknown) => {
        // On PostgreSQL the NUL byte breaks the batch's transaction: the whole /batch is a 500.
        expect(refusals(id)).toContain((error as KintoHttpError).status);
        return [{ status: (error as KintoHttpError).status }];
      })) as BatchResponse[];
      expect(batches).toHaveLength(1);
      expect(batches[0]).toHaveLength(1);
      const path = batches[0][0].path;
      expect(path.startsWith(prefix + "/")).toBe(true);
      expect(
        path
          .slice(prefix.length + 1)
          .split("?")[0]
          .split("/"),
      ).toEqual(expected(template, id));
      expect(refusals(id)).toContain(result[0].status);
    }
  });
});
