/**
 * JSON Lines input of `import`: checked whole before anything is sent (every bad line named, up to
 * a limit), then streamed record by record. A line without an id gets one derived from its
 * content, never from its position: editing other lines, or moving this one, keeps its id.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { stat } from "node:fs/promises";
import { createInterface } from "node:readline";
import type { IdMode } from "./args";

/** One bad line. */
export interface BadLine {
  /** 1-based line number. */
  readonly line: number;
  /** What is wrong with it. */
  readonly reason: string;
}

/** The input file has bad lines; exit code 5. The message names each one, `file:LINE: reason`. */
export class InputErrors extends Error {
  /**
   * @param file the file
   * @param bad the first bad lines (at most the limit)
   * @param total how many bad lines the file has
   */
  constructor(
    readonly file: string,
    readonly bad: readonly BadLine[],
    readonly total: number,
  ) {
    const more = total > bad.length ? `\n(${total - bad.length} more bad line(s) not shown; see --max-errors)` : "";
    super(`${bad.map((b) => `${file}:${b.line}: ${b.reason}`).join("\n")}${more}\n${total} bad line(s) in ${file}.`);
    this.name = "InputErrors";
  }
}

/** A record read from the file, ready to send. */
export interface InputRecord {
  /** Its 1-based line number. */
  readonly line: number;
  /** Its id: given, or derived from its content. */
  readonly id: string;
  /** The record to send: the line's fields with `id`, without `last_modified`. */
  readonly record: Record<string, unknown>;
  /** Hash of its content (every field but `id` and `last_modified`), to compare with the server's. */
  readonly hash: string;
}

const ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;

/** JSON with object keys sorted at every depth: equal content, equal text. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(",")}]`;
  if (value && typeof value === "object") {
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`);
    return `{${entries.join(",")}}`;
  }
  return JSON.stringify(value);
}

/** The content hash of a record, as the server holds it or as the file gives it. */
export function contentHash(record: Readonly<Record<string, unknown>>): string {
  const { id: _id, last_modified: _lm, ...content } = record;
  return createHash("sha256").update(canonical(content)).digest("hex");
}

/** The id derived from a content hash (UUID-shaped, accepted by Kinto's default id generator). */
export function contentId(hash: string): string {
  return `${hash.slice(0, 8)}-${hash.slice(8, 12)}-${hash.slice(12, 16)}-${hash.slice(16, 20)}-${hash.slice(20, 32)}`;
}

/** The JSON path of the first `__proto__` key in `value`, if any (JSON.parse makes them own keys). */
function protoKey(value: unknown, path: string, depth = 0): string | undefined {
  if (!value || typeof value !== "object" || depth > 1000) return undefined;
  for (const key of Object.keys(value)) {
    const child = Array.isArray(value) ? `${path}[${key}]` : `${path}.${key}`;
    if (key === "__proto__" && !Array.isArray(value)) return child;
    const found = protoKey((value as Record<string, unknown>)[key], child, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** Parses one line into a record to send, or says what is wrong with it. */
export function parseLine(line: number, text: string, ids: IdMode): InputRecord | BadLine {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { line, reason: `invalid JSON (${(error as Error).message})` };
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) return { line, reason: "expected a JSON object" };
  const fields = value as Record<string, unknown>;
  const proto = protoKey(fields, "$");
  if (proto) return { line, reason: `a "__proto__" key (at ${proto}) is refused: it would break every later read of the collection` };
  if ("id" in fields && (typeof fields.id !== "string" || !ID.test(fields.id))) {
    return { line, reason: `invalid id ${JSON.stringify(fields.id)} (letters, digits, "-" and "_", not first)` };
  }
  if ("last_modified" in fields && !(Number.isSafeInteger(fields.last_modified) && (fields.last_modified as number) >= 0)) {
    return { line, reason: `invalid last_modified ${JSON.stringify(fields.last_modified)} (a timestamp in ms, or leave it out)` };
  }
  if (fields.id === undefined && ids === "required") return { line, reason: 'no "id" (--ids required)' };
  const { last_modified: _ignored, ...record } = fields;
  const hash = contentHash(record);
  const id = (fields.id as string | undefined) ?? contentId(hash);
  return { line, id, record: { ...record, id }, hash };
}

/** Each non-blank line of `file` with its 1-based number. */
export async function* lines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const reader = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of reader) {
      line++;
      const clean = line === 1 ? text.replace(/^\uFEFF/, "") : text;
      if (clean.trim() !== "") yield { line, text: clean };
    }
  } finally {
    reader.close();
  }
}

/** What the check of a file found. */
export interface CheckedFile {
  /** The records, by id, with their line and content hash (no record bodies: bounded by ids). */
  readonly records: ReadonlyMap<string, { readonly line: number; readonly hash: string }>;
}

/**
 * Reads the whole file once and checks every line: JSON object, id, last_modified, no `__proto__`,
 * no id twice. Rejects with {@link InputErrors} naming the first `maxErrors` bad lines.
 */
export async function check(file: string, ids: IdMode, maxErrors: number): Promise<CheckedFile> {
  if ((await stat(file)).isDirectory()) throw Object.assign(new Error(`${file} is a directory`), { code: "EISDIR", path: file });
  const records = new Map<string, { line: number; hash: string }>();
  const bad: BadLine[] = [];
  let total = 0;
  const report = (b: BadLine) => {
    total++;
    if (bad.length < maxErrors) bad.push(b);
  };
  for await (const { line, text } of lines(file)) {
    const parsed = parseLine(line, text, ids);
    if (!("id" in parsed)) {
      report(parsed);
      continue;
    }
    const first = records.get(parsed.id);
    if (first) {
      const same = first.hash === parsed.hash ? "the same record as" : "the same id as";
      report({ line, reason: `${same} line ${first.line} (id ${JSON.stringify(parsed.id)})` });
    } else records.set(parsed.id, { line, hash: parsed.hash });
  }
  if (total > 0) throw new InputErrors(file, bad, total);
  return { records };
}

/** The records of a checked file, in file order. */
export async function* inputRecords(file: string, ids: IdMode): AsyncGenerator<InputRecord> {
  for await (const { line, text } of lines(file)) {
    const parsed = parseLine(line, text, ids);
    if (!("id" in parsed)) throw new InputErrors(file, [parsed], 1); // the file changed since its check
    yield parsed;
  }
}
