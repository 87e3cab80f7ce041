/**
 * Property-based tests (fast-check) of every payload codec: random JSON, random JS values, and real
 * server payloads (read from the test server) mutated at random (fields removed, wrong types, huge
 * numbers, `__proto__` and `constructor` own keys, deep nesting). Each yields a valid value (checked
 * again with `codec.is`, plain prototypes only) or a PayloadValidationError whose JSON paths are well
 * formed and lead into the payload; never another exception, never a polluted prototype. The same
 * payloads are then answered by a local server to a KintoClient (getRecord, listRecords).
 */
import fc from "fast-check";
import * as t from "io-ts";
import { firstValueFrom, type Observable } from "rxjs";
import {
  BatchResponse,
  BatchResponses,
  decodeWith,
  envelope,
  Group,
  HistoryEntry,
  KintoClient,
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
  UnparseableResponseError,
} from "../../src";
import { AttachmentMetadata } from "../../src/resources/attachments";
import { raw, uniqueName } from "../helpers";
import { localServer, type LocalServer } from "../security/local-server";

/** A user codec that transforms (string → Date), so that io-ts builds new objects while decoding. */
const DateFromISO = new t.Type<Date, string, unknown>(
  "DateFromISO",
  (u): u is Date => u instanceof Date,
  (u, c) => (typeof u === "string" && !Number.isNaN(Date.parse(u)) ? t.success(new Date(u)) : t.failure(u, c)),
  (d) => d.toISOString(),
);
const Post = t.type({ title: t.string, views: t.number });
const Dated = t.type({ title: t.string, at: DateFromISO });
const client = new KintoClient("http://kinto.test/v1");
const postRecord = client.bucket("b").collection("c", { codec: Post }).recordCodec;
const datedRecord = client.bucket("b").collection("c", { codec: Dated }).recordCodec;

type AnyCodec = t.Type<any, any, unknown>;
const CODECS: Record<string, AnyCodec> = {
  Permissions,
  KintoObjectMeta,
  KintoObject,
  Tombstone,
  Group,
  HistoryEntry,
  PermissionEntry,
  ServerSettings,
  ServerUser,
  ServerCapabilities,
  ServerInfo,
  BatchResponse,
  BatchResponses,
  AttachmentMetadata,
  "envelope(KintoObject)": envelope(KintoObject),
  "envelope(Tombstone)": envelope(Tombstone),
  "envelope(Group)": envelope(Group),
  "list(KintoObject)": list(KintoObject),
  "list(Tombstone)": list(Tombstone),
  "list(HistoryEntry)": list(HistoryEntry),
  "list(PermissionEntry)": list(PermissionEntry),
  "list(Group)": list(Group),
  postRecord,
  datedRecord,
  "envelope(postRecord)": envelope(postRecord),
  "list(datedRecord)": list(datedRecord),
};

const PATH = /^\$(?:\.[A-Za-z_$][\w$]*|\[\d+\]|\["(?:[^"\\]|\\.)*"\])*$/;
const TOKEN = /\.([A-Za-z_$][\w$]*)|\[(\d+)\]|\[("(?:[^"\\]|\\.)*")\]/y;

/** Asserts `path` is well formed and that all but its last step exist in `input`. */
function checkPath(path: string, input: unknown): void {
  expect(path).toMatch(PATH);
  const keys: string[] = [];
  TOKEN.lastIndex = 1;
  for (let m = TOKEN.exec(path); m; m = TOKEN.exec(path)) keys.push(m[1] ?? m[2] ?? JSON.parse(m[3]));
  let node: any = input;
  for (const key of keys.slice(0, -1)) {
    expect(node !== null && typeof node === "object" && Object.prototype.hasOwnProperty.call(node, key)).toBe(true);
    node = node[key];
  }
}

/** Asserts every object reachable from `value` has a plain prototype (no `__proto__` key took effect). */
function checkPrototypes(value: unknown): void {
  const seen = new Set<unknown>();
  const stack = [value];
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== "object" || seen.has(node) || node instanceof Date) continue;
    seen.add(node);
    expect([Object.prototype, Array.prototype, null]).toContain(Object.getPrototypeOf(node));
    for (const key of Object.keys(node)) stack.push((node as Record<string, unknown>)[key]);
  }
}

/** The property: a valid value, or a PayloadValidationError with good paths; nothing else. */
function checkDecode(codec: AnyCodec, input: unknown, json = true): void {
  let result: unknown;
  try {
    result = decodeWith(codec, input, "payload");
  } catch (error) {
    expect(error).toBeInstanceOf(PayloadValidationError);
    const issues = (error as PayloadValidationError).issues;
    expect(issues.length).toBeGreaterThan(0);
    for (const issue of issues) {
      if (json) checkPath(issue.path, input);
      else expect(issue.path).toMatch(PATH);
    }
    return;
  }
  expect(codec.is(result)).toBe(true);
  if (json) checkPrototypes(result);
}

afterEach(() => {
  expect(({} as any).polluted).toBeUndefined();
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, "polluted")).toBe(false);
  expect(Object.prototype.hasOwnProperty.call(Object.prototype, "prototype")).toBe(false);
});

describe.each(Object.entries(CODECS))("%s", (_name, codec) => {
  it("random JSON: a valid value or a PayloadValidationError with well-formed paths", () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => checkDecode(codec, JSON.parse(JSON.stringify(value) ?? "null"))),
      { numRuns: 300 },
    );
  });

  it("random JS values (null prototypes, bigints, dates, maps, sparse arrays...): the same", () => {
    const anything = fc.anything({
      withBigInt: true,
      withDate: true,
      withMap: true,
      withSet: true,
      withNullPrototype: true,
      withSparseArray: true,
      withTypedArray: true,
      withBoxedValues: true,
    });
    fc.assert(
      fc.property(anything, (value) => checkDecode(codec, value, false)),
      { numRuns: 200 },
    );
  });
});

// ---- real payloads, mutated ----

/** Real payloads from the test server, each with the codec kinto-rx decodes it with. */
const SAMPLES: { name: string; codec: AnyCodec; payload: unknown }[] = [];

beforeAll(async () => {
  const B = uniqueName("props");
  const c = `/buckets/${B}/collections/c`;
  const ok = async (method: string, path: string, body?: unknown) => {
    const response = await raw(method, path, body);
    expect(response.status).toBeLessThan(300);
    return response.json;
  };
  await ok("PUT", `/buckets/${B}`);
  await ok("PUT", c);
  await ok("PUT", `/buckets/${B}/groups/g`, { data: { members: ["u"] } });
  const record = await ok("PUT", `${c}/records/r1`, {
    data: { title: "hello", views: 3, at: "2024-05-01T10:00:00.000Z", tags: ["a"] },
    permissions: { read: ["system.Everyone"] },
  });
  await ok("PUT", `${c}/records/r2`, { data: { title: "bye", views: 0, at: "2024-05-02T10:00:00.000Z" } });
  const tombstone = await ok("DELETE", `${c}/records/r2`);
  const batch = await ok("POST", "/batch", {
    requests: [
      { method: "GET", path: `${c}/records/r1` },
      { method: "GET", path: `${c}/records/missing` },
    ],
  });
  SAMPLES.push(
    { name: "record envelope", codec: envelope(postRecord), payload: record },
    { name: "dated record envelope", codec: envelope(datedRecord), payload: record },
    { name: "record list", codec: list(KintoObject), payload: await ok("GET", `${c}/records`) },
    {
      name: "dated record list",
      codec: list(datedRecord),
      payload: await ok("GET", `${c}/records?_since=0&deleted=false`).then((l) => ({ data: l.data.filter((r: any) => !r.deleted) })),
    },
    { name: "tombstone", codec: envelope(Tombstone), payload: tombstone },
    {
      name: "tombstone list",
      codec: list(Tombstone),
      payload: await ok("GET", `${c}/records?_since=0&deleted=true`).then((l) => ({ data: l.data.filter((r: any) => r.deleted) })),
    },
    { name: "group", codec: envelope(Group), payload: await ok("GET", `/buckets/${B}/groups/g`) },
    { name: "history", codec: list(HistoryEntry), payload: await ok("GET", `/buckets/${B}/history?_limit=5`) },
    { name: "permissions", codec: list(PermissionEntry), payload: await ok("GET", `/permissions?_limit=5&bucket_id=${B}`) },
    { name: "server info", codec: ServerInfo, payload: await ok("GET", "/") },
    { name: "batch", codec: BatchResponses, payload: batch },
  );
  await ok("DELETE", `/buckets/${B}`);
});

const RAW: Record<string, string> = {
  proto: '{"polluted": 1, "data": {"polluted": 1}}',
  constructor: '{"prototype": {"polluted": 1}, "polluted": 1}',
  huge: "1e400",
  hugeNegative: "-1e400",
  bigInteger: "123456789012345678901234567890123456789",
};
const deep = (n: number, kind: "array" | "object") =>
  kind === "array" ? "[".repeat(n) + "]".repeat(n) : '{"a":'.repeat(n) + "{}" + "}".repeat(n);

/** One mutation: where (choices walk the tree) and what. */
const mutation = fc.record({
  at: fc.array(fc.nat(), { maxLength: 5 }),
  op: fc.oneof(
    fc.constant({ kind: "remove" as const }),
    fc.record({
      kind: fc.constant("replace" as const),
      value: fc.oneof(
        fc.jsonValue({ maxDepth: 2 }),
        fc.constantFrom(1e308, -1e308, Number.MAX_SAFE_INTEGER + 2, -0, "", "x".repeat(10_000)),
      ),
    }),
    fc.record({ kind: fc.constant("raw" as const), raw: fc.constantFrom(...Object.keys(RAW)) }),
    fc.record({
      kind: fc.constant("key" as const),
      key: fc.constantFrom("__proto__", "constructor", "prototype"),
      raw: fc.constantFrom("proto", "constructor"),
    }),
    fc.record({
      kind: fc.constant("deep" as const),
      depth: fc.integer({ min: 50, max: 5000 }),
      shape: fc.constantFrom("array" as const, "object" as const),
    }),
  ),
});
type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

/** Applies `mutations` to a copy of `payload`; returns the JSON text (markers replaced by raw text). */
function mutate(payload: unknown, mutations: readonly Mutation[]): string {
  const root = { v: structuredClone(payload) as any };
  const markers: string[] = [];
  const mark = (text: string) => `__MARK_${markers.push(text) - 1}__`;
  for (const { at, op } of mutations) {
    let parent: any = root;
    let key: string | number = "v";
    for (const choice of at) {
      const node: any = parent[key];
      if (node === null || typeof node !== "object") break;
      const keys = Object.keys(node);
      if (keys.length === 0) break;
      parent = node;
      key = Array.isArray(node) ? choice % node.length : keys[choice % keys.length];
    }
    if (op.kind === "remove") {
      if (parent === root) root.v = {};
      else if (Array.isArray(parent)) parent.splice(key as number, 1);
      else delete parent[key];
    } else if (op.kind === "replace") parent[key] = op.value;
    else if (op.kind === "raw") parent[key] = mark(RAW[op.raw]);
    else if (op.kind === "deep") parent[key] = mark(deep(op.depth, op.shape));
    else {
      const target = parent[key] !== null && typeof parent[key] === "object" && !Array.isArray(parent[key]) ? parent[key] : parent;
      if (target !== root) target[mark(JSON.stringify(op.key))] = mark(RAW[op.raw]);
    }
  }
  return JSON.stringify(root.v).replace(/"__MARK_(\d+)__"/g, (_m, i: string) => markers[Number(i)]);
}

describe("mutated real payloads", () => {
  it("every sample decodes as is", () => {
    expect(SAMPLES).toHaveLength(11);
    for (const { codec, payload } of SAMPLES) expect(codec.is(decodeWith(codec, payload, "sample"))).toBe(true);
  });

  it("yield a valid value or a PayloadValidationError, never another exception nor a polluted prototype", () => {
    const samples = fc.constantFrom(...SAMPLES.keys());
    fc.assert(
      fc.property(samples, fc.array(mutation, { minLength: 1, maxLength: 3 }), (i, mutations) => {
        const text = mutate(SAMPLES[i].payload, mutations);
        checkDecode(SAMPLES[i].codec, JSON.parse(text));
      }),
      { numRuns: 1500 },
    );
  });

  it("a __proto__ key is refused with its path (io-ts would make it the prototype of a rebuilt object)", () => {
    const record = (SAMPLES[1].payload as { data: Record<string, unknown> }).data;
    const text = JSON.stringify({ data: record }).replace('{"data":{', '{"data":{"__proto__": {"polluted": 1, "title": 42}, ');
    const input = JSON.parse(text);
    expect(Object.keys(input.data)).toContain("__proto__");
    for (const codec of [envelope(datedRecord), envelope(postRecord), envelope(KintoObject)] as AnyCodec[]) {
      const error = (() => {
        try {
          return decodeWith(codec, input, "record");
        } catch (e) {
          return e;
        }
      })();
      expect(error).toBeInstanceOf(PayloadValidationError);
      expect((error as PayloadValidationError).issues).toEqual([
        { path: "$.data.__proto__", expected: "no __proto__ key", actual: '{"polluted":1,"title":42}' },
      ]);
    }
    // `constructor` and `prototype` are plain fields.
    const fields = JSON.parse(JSON.stringify({ data: { ...record, constructor: { prototype: { polluted: 1 } }, prototype: 1 } }));
    const { data } = decodeWith(envelope(datedRecord), fields, "record");
    expect(data.constructor).toEqual({ prototype: { polluted: 1 } });
    expect(Object.getPrototypeOf(data)).toBe(Object.prototype);
  });
});

describe("through the transport: a KintoClient reading mutated payloads from a local server", () => {
  let server: LocalServer;
  let body = "{}";
  beforeAll(async () => {
    server = await localServer((_req, res) => {
      res.writeHead(200, { "Content-Type": "application/json" });
      res.end(body);
    });
  });
  afterAll(() => server.close());

  it("getRecord and listRecords emit valid data or fail with PayloadValidationError / UnparseableResponseError", async () => {
    const kinto = new KintoClient(server.url);
    const typed = kinto.bucket("b").collection("c", { codec: Dated });
    const plain = kinto.bucket("b").collection("c");
    // Each read, the real payload it is fed (mutated), and the codec of what it emits.
    const cases: { sample: (typeof SAMPLES)[number]; codec: AnyCodec; read: () => Observable<any> }[] = [
      { sample: SAMPLES[1], codec: envelope(datedRecord), read: () => typed.getRecord("r1") },
      { sample: SAMPLES[0], codec: envelope(KintoObject), read: () => plain.getRecord("r1") },
      { sample: SAMPLES[3], codec: list(datedRecord), read: () => typed.listRecords() },
      { sample: SAMPLES[2], codec: list(KintoObject), read: () => plain.listRecords() },
    ];
    const truncate = fc.option(fc.nat(), { nil: undefined });
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...cases.keys()),
        fc.array(mutation, { minLength: 1, maxLength: 3 }),
        truncate,
        async (i, mutations, cut) => {
          const { sample, codec, read } = cases[i];
          const text = mutate(sample.payload, mutations);
          body = cut === undefined ? text : text.slice(0, cut % text.length);
          let value: any;
          try {
            value = await firstValueFrom(read());
          } catch (error) {
            expect([PayloadValidationError, UnparseableResponseError]).toContain((error as Error).constructor);
            if (error instanceof PayloadValidationError)
              for (const issue of error.issues) checkPath(issue.path, body === "" ? undefined : JSON.parse(body));
            return;
          }
          // What reached the subscriber is what the codec accepts.
          expect(codec.is("last_modified" in value ? { data: value.data } : value)).toBe(true);
          checkPrototypes(value.data);
        },
      ),
      { numRuns: 300 },
    );
  });
});
