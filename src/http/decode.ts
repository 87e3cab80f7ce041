/**
 * Validation of server payloads: one operator, used on every response.
 */
import type * as t from "io-ts";
import { map, type OperatorFunction } from "rxjs";
import { PayloadValidationError, type KintoErrorBody, type ValidationIssue } from "./errors";

/** io-ts combinators whose context keys are member indexes, not JSON keys. */
const TRANSPARENT = new Set(["IntersectionType", "UnionType", "RefinementType", "ExactType", "ReadonlyType", "StrictType"]);

/** Renders an io-ts context as a JSON path (`$.data[2].title`). */
export function jsonPath(context: t.Context): string {
  let path = "$";
  for (let i = 1; i < context.length; i++) {
    const parent = (context[i - 1].type as { _tag?: string })._tag;
    if (parent && TRANSPARENT.has(parent)) continue;
    const key = context[i].key;
    path +=
      /^\d+$/.test(key) && (parent === "ArrayType" || parent === "ReadonlyArrayType" || parent === "TupleType")
        ? `[${key}]`
        : /^[A-Za-z_$][\w$]*$/.test(key)
          ? `.${key}`
          : `[${JSON.stringify(key)}]`;
  }
  return path;
}

function show(value: unknown): string {
  if (value === undefined) return "undefined";
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = Object.prototype.toString.call(value);
  }
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Converts io-ts errors to issues, one per distinct path. */
export function toIssues(errors: t.Errors): ValidationIssue[] {
  const seen = new Map<string, ValidationIssue>();
  for (const error of errors) {
    const path = jsonPath(error.context);
    if (seen.has(path)) continue;
    const last = error.context[error.context.length - 1];
    seen.set(path, { path, expected: last?.type.name ?? "unknown", actual: show(error.value) });
  }
  return [...seen.values()];
}

/** Depth past which `hasProtoKey` stops trusting that it walks a tree (JSON.parse makes trees). */
const TREE_DEPTH = 500;

/** Whether `value` holds a `__proto__` own key (JSON.parse makes them own properties) at any depth. */
function hasProtoKey(value: unknown): boolean {
  return typeof value === "object" && value !== null && protoInTree(value, 0);
}

/**
 * The walk of `hasProtoKey` without a set of visited nodes (none is needed in a tree). Past
 * TREE_DEPTH (a deep or cyclic value given to `decodeWith` by hand), `protoIssues` walks the rest:
 * it keeps a visited set.
 */
function protoInTree(node: object, depth: number): boolean {
  if (depth > TREE_DEPTH) return protoIssues(node).length > 0;
  if (Array.isArray(node)) {
    for (let i = 0; i < node.length; i++) {
      const item: unknown = node[i];
      if (typeof item === "object" && item !== null && protoInTree(item, depth + 1)) return true;
    }
    return false;
  }
  // for…in, not Object.keys: no array per object. JSON objects inherit no enumerable key.
  for (const key in node) {
    if (key === "__proto__") return true;
    const item: unknown = (node as Record<string, unknown>)[key];
    if (typeof item === "object" && item !== null && protoInTree(item, depth + 1)) return true;
  }
  return false;
}

/**
 * io-ts combinators whose `decode` returns its input unchanged when its members do: for a codec made
 * only of these, a value that passes `codec.is` decodes to itself. Left out: codecs that strip
 * (`exact`, `strict`), tuples (they drop extra items), records (`t.record` over literal keys strips),
 * recursion, and any custom `t.Type` (it may transform, like `DateFromISOString`).
 */
const IDENTITY_LEAVES = new Set([
  "NullType",
  "UndefinedType",
  "VoidType",
  "UnknownType",
  "StringType",
  "NumberType",
  "BigIntType",
  "BooleanType",
  "AnyArrayType",
  "AnyDictionaryType",
  "LiteralType",
  "KeyofType",
  "FunctionType",
  "NeverType",
  "AnyType",
  "ObjectType",
]);
const identityCodecs = new WeakMap<object, boolean>();

/** Whether `codec.decode(u)` is `u` itself whenever `codec.is(u)` (see IDENTITY_LEAVES); cached per codec. */
function decodesToItself(codec: t.Mixed): boolean {
  let known = identityCodecs.get(codec);
  if (known === undefined) {
    known = structurallyIdentity(codec as unknown as Tagged);
    identityCodecs.set(codec, known);
  }
  return known;
}

/** The members of a combinator that `decodesToItself` looks into. */
interface Tagged {
  readonly _tag?: string;
  readonly type?: Tagged;
  readonly types?: readonly Tagged[];
  readonly props?: Readonly<Record<string, Tagged>>;
}

function structurallyIdentity(codec: Tagged): boolean {
  switch (codec._tag) {
    case "InterfaceType":
    case "PartialType":
      return Object.values(codec.props ?? {}).every((c) => decodesToItself(c as unknown as t.Mixed));
    case "IntersectionType":
    case "UnionType":
      return (codec.types ?? []).every((c) => decodesToItself(c as unknown as t.Mixed));
    case "ArrayType":
    case "ReadonlyArrayType":
    case "ReadonlyType":
    case "RefinementType":
      return codec.type !== undefined && decodesToItself(codec.type as unknown as t.Mixed);
    default:
      return codec._tag !== undefined && IDENTITY_LEAVES.has(codec._tag);
  }
}

/** The issues naming each `__proto__` key of `value`, with its JSON path (breadth first). */
function protoIssues(value: unknown): ValidationIssue[] {
  const issues: ValidationIssue[] = [];
  const queue: [unknown, string][] = [[value, "$"]];
  const seen = new Set<object>();
  for (let i = 0; i < queue.length; i++) {
    const [node, path] = queue[i];
    if (node === null || typeof node !== "object" || seen.has(node)) continue;
    seen.add(node);
    const array = Array.isArray(node);
    for (const key of Object.keys(node)) {
      const child = path + (array ? `[${key}]` : /^[A-Za-z_$][\w$]*$/.test(key) ? `.${key}` : `[${JSON.stringify(key)}]`);
      const item = (node as Record<string, unknown>)[key];
      if (key === "__proto__" && !array) issues.push({ path: child, expected: "no __proto__ key", actual: show(item) });
      else queue.push([item, child]);
    }
  }
  return issues;
}

/**
 * Decodes `value` with `codec`, throwing a {@link PayloadValidationError} naming `context` and the
 * JSON path of each problem. A payload with a `__proto__` key is refused whatever the codec.
 */
export function decodeWith<A, O>(codec: t.Type<A, O, unknown>, value: unknown, context: string): A {
  // io-ts copies an object with `r[k] = u[k]` when a member codec transforms: a `__proto__` key
  // would become the copy's prototype, and a record would seem to hold fields it does not have.
  if (hasProtoKey(value)) throw new PayloadValidationError(context, protoIssues(value));
  // The guard is several times cheaper than decode (no Either per member, no merge of intersections):
  // when the codec cannot transform, a value it accepts is the decoded value. Decode still runs on
  // any value it refuses, to name the JSON path of each problem, and for transforming codecs.
  // (One difference: decode would add a missing optional key as `undefined`; the value is kept as sent.)
  if (decodesToItself(codec as unknown as t.Mixed) && codec.is(value)) return value as A;
  const result = codec.decode(value);
  // `_tag` rather than fp-ts's isLeft: importing fp-ts/lib/Either puts 27 KiB of fp-ts in the browser bundle.
  if (result._tag === "Left") throw new PayloadValidationError(context, toIssues(result.left));
  return result.right;
}

/**
 * Operator: decodes each value with `codec`; an invalid one errors the stream with a
 * {@link PayloadValidationError} instead of flowing on unvalidated.
 * @param codec the io-ts codec
 * @param context what is decoded, for the error message
 */
export function decode<A, O>(codec: t.Type<A, O, unknown>, context: string): OperatorFunction<unknown, A> {
  return map((value) => decodeWith(codec, value, context));
}

/**
 * Deepest nesting accepted in an error body (Kinto's own JSON cannot nest much deeper: Python's
 * recursion limit is 1,000). Deeper, comparing or printing `details.existing` would overflow the stack.
 */
export const MAX_ERROR_BODY_DEPTH = 1000;

/** The path of the first node of `value` nested deeper than `max` levels, walked without recursion. */
function tooDeep(value: unknown, max: number): string | undefined {
  const stack: [unknown, number, string][] = [[value, 0, "$"]];
  while (stack.length > 0) {
    const [node, depth, path] = stack.pop()!;
    if (node === null || typeof node !== "object") continue;
    if (depth >= max) return path;
    const array = Array.isArray(node);
    for (const key of Object.keys(node)) {
      const child = (node as Record<string, unknown>)[key];
      if (child !== null && typeof child === "object") stack.push([child, depth + 1, array ? `${path}[${key}]` : `${path}.${key}`]);
    }
  }
  return undefined;
}

/**
 * The fields of a Kinto error body (`{code, errno, error, message, details}`) from its parsed JSON,
 * each kept only with its expected type. The body goes through the payloads' guard: a `__proto__`
 * key, or nesting deeper than {@link MAX_ERROR_BODY_DEPTH}, fails with a {@link PayloadValidationError}
 * naming `context` and the JSON path, instead of reaching `details` / `existing`.
 * @param parsed the body's JSON (anything: a proxy's page parses to nothing useful)
 * @param context what answered, e.g. `error body of PUT /buckets/b`
 */
export function errorBodyOf(parsed: unknown, context: string): KintoErrorBody {
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) return {};
  if (hasProtoKey(parsed)) throw new PayloadValidationError(context, protoIssues(parsed));
  const deep = tooDeep(parsed, MAX_ERROR_BODY_DEPTH);
  if (deep !== undefined)
    throw new PayloadValidationError(context, [
      { path: deep, expected: `at most ${MAX_ERROR_BODY_DEPTH} levels of nesting`, actual: "deeper" },
    ]);
  const o = parsed as Record<string, unknown>;
  const text = (v: unknown) => (typeof v === "string" ? v : undefined);
  const num = (v: unknown) => (typeof v === "number" ? v : undefined);
  return { code: num(o.code), errno: num(o.errno), error: text(o.error), message: text(o.message), details: o.details, info: text(o.info) };
}
