/**
 * decodeWith's fast path: a codec that cannot transform returns the value it accepts as is (checked
 * with `codec.is`), every other codec goes through io-ts `decode`. The two must agree: same
 * acceptance, same value (up to keys io-ts adds as `undefined`), same errors.
 */
import fc from "fast-check";
import * as t from "io-ts";
import { decodeWith, envelope, KintoObject, list, PayloadValidationError } from "../../src";

const NumberFromString = new t.Type<number, string, unknown>(
  "NumberFromString",
  (u): u is number => typeof u === "number",
  (u, c) => (typeof u === "string" && u.trim() !== "" && !Number.isNaN(Number(u)) ? t.success(Number(u)) : t.failure(u, c)),
  String,
);
const Positive = t.brand(t.number, (n): n is t.Branded<number, { readonly Positive: unique symbol }> => n > 0, "Positive");

/** Codecs that decode to their input: the fast path applies. */
const IDENTITY: Record<string, t.Mixed> = {
  "list(KintoObject)": list(KintoObject),
  "envelope(KintoObject)": envelope(KintoObject),
  "type + partial + union + literal": t.intersection([
    t.type({ title: t.string, tags: t.array(t.string), kind: t.union([t.literal("a"), t.literal("b"), t.null]) }),
    t.partial({ n: Positive, meta: t.UnknownRecord, list: t.readonlyArray(t.number) }),
  ]),
};

/** Codecs that may change what they decode: io-ts decodes. */
const TRANSFORMING: Record<string, t.Mixed> = {
  "exact strips": t.exact(t.type({ title: t.string })),
  "strict strips": t.strict({ title: t.string }),
  "custom type converts": t.type({ n: NumberFromString }),
  "union with a stripping member": t.union([t.exact(t.type({ a: t.string })), t.type({ b: t.string })]),
  tuple: t.tuple([t.string, t.number]),
  record: t.record(t.string, t.number),
};

/** Without keys whose value is undefined (io-ts adds missing optional keys as undefined). */
const defined = (value: unknown): unknown => JSON.parse(JSON.stringify(value ?? null));

function outcome(codec: t.Mixed, value: unknown): { ok: true; value: unknown } | { ok: false; issues: unknown } {
  try {
    return { ok: true, value: decodeWith(codec, value, "test") };
  } catch (error) {
    if (!(error instanceof PayloadValidationError)) throw error;
    return { ok: false, issues: error.issues };
  }
}

describe("decodeWith on codecs that cannot transform", () => {
  it("returns the very object it accepted", () => {
    const page = { data: [{ id: "a", last_modified: 1, title: "x" }] };
    expect(decodeWith(list(KintoObject), page, "page")).toBe(page);
  });

  it("still names the JSON path of each problem", () => {
    const page = {
      data: [
        { id: "a", last_modified: 1 },
        { id: 2, last_modified: "x" },
      ],
    };
    expect(outcome(list(KintoObject), page)).toEqual({
      ok: false,
      issues: [
        { path: "$.data[1].id", expected: "string", actual: "2" },
        { path: "$.data[1].last_modified", expected: "Timestamp", actual: '"x"' },
      ],
    });
  });

  it("agrees with io-ts decode on random values", () => {
    const values = fc.oneof(
      fc.jsonValue(),
      fc.record(
        {
          title: fc.oneof(fc.string(), fc.integer()),
          tags: fc.array(fc.oneof(fc.string(), fc.boolean())),
          kind: fc.constantFrom("a", "b", "c", null),
          n: fc.oneof(fc.integer(), fc.constant(undefined)),
        },
        { requiredKeys: [] },
      ),
      fc.record({
        data: fc.array(
          fc.record({ id: fc.oneof(fc.string(), fc.integer()), last_modified: fc.oneof(fc.integer(), fc.string()) }, { requiredKeys: [] }),
        ),
      }),
    );
    for (const codec of Object.values(IDENTITY)) {
      fc.assert(
        fc.property(values, (value) => {
          const ours = outcome(codec, value);
          const theirs = codec.decode(value);
          expect(ours.ok).toBe(theirs._tag === "Right");
          if (ours.ok && theirs._tag === "Right") expect(defined(ours.value)).toEqual(defined(theirs.right));
        }),
        { numRuns: 300 },
      );
    }
  });
});

describe("decodeWith on codecs that may transform", () => {
  it.each(Object.entries(TRANSFORMING))("%s: the value io-ts decodes to", (_name, codec) => {
    const samples: unknown[] = [
      { title: "t", extra: 1 },
      { n: "12" },
      { a: "x", extra: true },
      { b: "y", extra: 2 },
      ["s", 1, "extra"],
      { x: 1, y: 2 },
    ];
    let accepted = 0;
    for (const value of samples) {
      const result = codec.decode(value);
      if (result._tag === "Left") continue;
      accepted++;
      expect(decodeWith(codec, value, "test")).toEqual(result.right);
    }
    expect(accepted).toBeGreaterThan(0);
  });

  it("exact and strict codecs strip unknown keys, a custom type converts", () => {
    expect(decodeWith(TRANSFORMING["exact strips"], { title: "t", extra: 1 }, "x")).toEqual({ title: "t" });
    expect(decodeWith(TRANSFORMING["strict strips"], { title: "t", extra: 1 }, "x")).toEqual({ title: "t" });
    expect(decodeWith(TRANSFORMING["custom type converts"], { n: "12" }, "x")).toEqual({ n: 12 });
  });
});

describe("the __proto__ check", () => {
  it("finds a __proto__ key deeper than the tree walk's depth limit", () => {
    let deep: unknown = JSON.parse('{"__proto__": {"x": 1}}');
    for (let i = 0; i < 700; i++) deep = i % 2 ? { child: deep } : [deep];
    expect(outcome(t.unknown, deep)).toMatchObject({ ok: false });
  });

  it("ends on a cyclic value", () => {
    const cyclic: Record<string, unknown> = { id: "a", last_modified: 1 };
    cyclic.self = cyclic;
    expect(decodeWith(KintoObject, cyclic, "cyclic")).toBe(cyclic);
  });
});
