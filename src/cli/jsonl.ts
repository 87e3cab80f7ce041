/**
 * JSON Lines input: checked whole before anything is sent, then streamed record by record.
 */
import { createHash } from "node:crypto";
import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";

/** A malformed input line; exit code 5. */
export class InputError extends Error {
  /** @param file the file @param line 1-based line number @param reason what is wrong */
  constructor(
    readonly file: string,
    readonly line: number,
    reason: string,
  ) {
    super(`${file}:${line}: ${reason}`);
    this.name = "InputError";
  }
}

/** Each non-blank line of `file` with its 1-based number. */
export async function* lines(file: string): AsyncGenerator<{ line: number; text: string }> {
  const reader = createInterface({ input: createReadStream(file, { encoding: "utf8" }), crlfDelay: Infinity });
  let line = 0;
  try {
    for await (const text of reader) {
      line++;
      if (text.trim() !== "") yield { line, text };
    }
  } finally {
    reader.close();
  }
}

const ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;

/** Parses one line into a record, or throws an {@link InputError} naming the line. */
export function parseLine(file: string, line: number, text: string): Record<string, unknown> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new InputError(file, line, `invalid JSON (${(error as Error).message})`);
  }
  if (!value || typeof value !== "object" || Array.isArray(value)) throw new InputError(file, line, "expected a JSON object");
  const record = value as Record<string, unknown>;
  if ("id" in record && (typeof record.id !== "string" || !ID.test(record.id))) {
    throw new InputError(file, line, `invalid id ${JSON.stringify(record.id)} (letters, digits, "-" and "_")`);
  }
  return record;
}

/** Reads the whole file once, checking every line; resolves with the record count. */
export async function validate(file: string): Promise<number> {
  let count = 0;
  for await (const { line, text } of lines(file)) {
    parseLine(file, line, text);
    count++;
  }
  return count;
}

/**
 * The records of `file`, each with an id: a record without one gets an id derived from its line
 * number and content, so that a re-run of the same file targets the same records (resumable).
 */
export async function* records(file: string): AsyncGenerator<Record<string, unknown>> {
  for await (const { line, text } of lines(file)) {
    const record = parseLine(file, line, text);
    if (record.id === undefined) {
      const hex = createHash("sha256").update(`${line}\n${text}`).digest("hex");
      record.id = `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20, 32)}`;
    }
    delete record.last_modified;
    yield record;
  }
}
