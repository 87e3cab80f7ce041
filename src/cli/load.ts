/**
 * `kinto-rx load <server> <bucket.jsonl>`: writes a dump (see dump.ts) back. Idempotent: each
 * bucket, group and collection is written only when its data or permissions differ, and each
 * collection's records are compared with one listing of the server's (and their permissions with
 * one `/batch` of reads per chunk), so a re-run writes nothing (load-records.ts).
 * `--dry-run` says what would change and writes nothing. Records only on the server are left.
 */
import { KintoHttpError, type Bucket, type KintoClient, type Permissions } from "../index";
import { asWrittenBy, samePermissions } from "./acl";
import type { Command } from "./args";
import { CliError, EXIT } from "./explain";
import { InputErrors, contentHash, lines, type BadLine } from "./jsonl";
import { content, type DumpLine } from "./dump";
import { loadRecords, type DumpRecord } from "./load-records";
import type { Output } from "./output";
import { until } from "./stop";

type LoadCommand = Extract<Command, { name: "load" }>;
type Numbered = { readonly line: number; readonly value: DumpLine };

const ID = /^[a-zA-Z0-9][a-zA-Z0-9_-]*$/;
const isObject = (v: unknown): v is Record<string, unknown> => !!v && typeof v === "object" && !Array.isArray(v);
const isPermissions = (v: unknown) =>
  v === undefined || (isObject(v) && Object.values(v).every((p) => Array.isArray(p) && p.every((s) => typeof s === "string")));

/** What is wrong with one line of a dump, given the kind of the line before it. */
function problem(value: unknown, previous: DumpLine["kind"] | undefined, collection: string | undefined): string | undefined {
  if (!isObject(value)) return "expected a JSON object";
  if (JSON.stringify(value).includes('"__proto__"')) return 'a "__proto__" key is refused';
  if (!isObject(value.data)) return 'expected "data", an object';
  if (previous === undefined && value.kind !== "bucket") return 'a dump starts with its "bucket" line';
  if (previous !== undefined && value.kind === "bucket") return 'one "bucket" line only';
  if (value.kind === "record") {
    if (value.collection !== collection) return `a record of "${String(value.collection)}" outside its collection's section`;
    if (typeof value.data.id !== "string" || !ID.test(value.data.id)) return `invalid record id ${JSON.stringify(value.data.id)}`;
    if (!isPermissions(value.permissions)) return '"permissions" must map names to lists of principals';
    return undefined;
  }
  if (!["bucket", "group", "collection"].includes(value.kind as string)) return `unknown kind ${JSON.stringify(value.kind)}`;
  if (typeof value.id !== "string" || !ID.test(value.id)) return `invalid id ${JSON.stringify(value.id)}`;
  if (value.kind === "group" && previous !== "bucket" && previous !== "group") return "groups come right after the bucket";
  if (!isPermissions(value.permissions)) return '"permissions" must map names to lists of principals';
  return undefined;
}

/** The lines of a dump, each checked against the one before. */
async function* dumpLines(file: string, onBad: (bad: BadLine) => void): AsyncGenerator<Numbered> {
  let previous: DumpLine["kind"] | undefined;
  let collection: string | undefined;
  for await (const { line, text } of lines(file)) {
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch (error) {
      onBad({ line, reason: `invalid JSON (${(error as Error).message})` });
      continue;
    }
    const reason = problem(value, previous, collection);
    if (reason) {
      onBad({ line, reason });
      continue;
    }
    const dump = value as DumpLine;
    previous = dump.kind;
    if (dump.kind === "collection") collection = dump.id;
    yield { line, value: dump };
  }
}

/** Checks the whole dump before anything is sent. */
async function check(file: string, maxErrors: number): Promise<void> {
  const bad: BadLine[] = [];
  let total = 0;
  for await (const _ of dumpLines(file, (b) => (total++, bad.length < maxErrors && bad.push(b)))) void _;
  if (total) throw new InputErrors(file, bad, total);
}

/** Whether the server's object equals the dump's (the loading user is always among the writers). */
function same(
  server: { data: Record<string, unknown>; permissions: Permissions } | undefined,
  dump: Extract<DumpLine, { id: string }>,
  user: string | undefined,
): boolean {
  if (!server) return false;
  return (
    contentHash(content(server.data)) === contentHash(dump.data) && samePermissions(server.permissions, asWrittenBy(dump.permissions, user))
  );
}

/** `undefined` for a 403/404 (missing, or not readable: then writing will say which). */
async function orMissing<T>(read: () => Promise<T>): Promise<T | undefined> {
  try {
    return await read();
  } catch (error) {
    if (error instanceof KintoHttpError && (error.status === 404 || error.status === 403)) return undefined;
    throw error;
  }
}

/** Loads dumps into a server; one instance per run. */
class Loader {
  private bucket!: Bucket;
  constructor(
    private readonly client: KintoClient,
    private readonly command: LoadCommand,
    private readonly say: (text: string) => void,
    private readonly signal: AbortSignal,
    private readonly user: string | undefined,
  ) {}

  private verb(existed: boolean, equal: boolean): string {
    const [created, updated] = this.command.dryRun ? ["would be created", "would be updated"] : ["created", "updated"];
    return equal ? "unchanged" : existed ? updated : created;
  }

  async object(dump: Extract<DumpLine, { id: string }>): Promise<boolean> {
    const { signal } = this;
    if (dump.kind === "bucket") this.bucket = this.client.bucket(dump.id);
    const server = await orMissing(async () => {
      if (dump.kind === "group") {
        const group = await until(this.bucket.getGroup(dump.id), signal);
        return { data: group.data as Record<string, unknown>, permissions: group.permissions ?? {} };
      }
      const resource = dump.kind === "bucket" ? this.bucket : this.bucket.collection(dump.id);
      return { data: await until(resource.getData(), signal), permissions: await until(resource.getPermissions(), signal) };
    });
    const equal = same(server, dump, this.user);
    this.say(`${dump.kind} ${dump.id}: ${this.verb(server !== undefined, equal)}`);
    if (!equal && !this.command.dryRun) {
      const permissions = dump.permissions;
      if (dump.kind === "group")
        await until(this.bucket.updateGroup({ ...dump.data, id: dump.id } as { id: string }, { permissions }), signal);
      else
        await until((dump.kind === "bucket" ? this.bucket : this.bucket.collection(dump.id)).setData(dump.data, { permissions }), signal);
    }
    return server !== undefined;
  }

  async records(id: string, existed: boolean, source: AsyncIterable<DumpRecord>): Promise<void> {
    const counts = await loadRecords(this.bucket.collection(id), existed, source, {
      dryRun: this.command.dryRun,
      concurrency: this.command.concurrency,
      user: this.user,
      signal: this.signal,
    });
    const verb = this.command.dryRun ? "would be " : "";
    this.say(
      `records of ${id}: ${counts.fresh} ${verb}new, ${counts.changed} ${verb}replaced, ${counts.same} unchanged, ${counts.onlyOnServer} only on the server (left)`,
    );
    const { refused } = counts;
    if (refused.length)
      throw new CliError(
        EXIT.server,
        `${refused.length} record(s) of ${id} refused:\n${refused.slice(0, this.command.maxErrors).join("\n")}`,
      );
  }
}

/** The records of collection `id` in the dump, read by a reader of their own. */
async function* recordsOf(file: string, id: string): AsyncGenerator<DumpRecord> {
  for await (const { value } of dumpLines(file, () => undefined)) if (value.kind === "record" && value.collection === id) yield value;
}

/**
 * Loads the command's dump: the bucket and groups first, then up to `--parallel` collections at a
 * time, each with its records (each collection reads the file with a reader of its own: memory
 * stays bounded, and the file is only read, `--parallel` times over).
 */
export async function runLoad(
  client: KintoClient,
  command: LoadCommand,
  user: string | undefined,
  out: Output,
  stderr: NodeJS.WritableStream,
  signal: AbortSignal,
): Promise<void> {
  await check(command.file, command.maxErrors);
  const say = (text: string) => void (command.dryRun ? out.write(text + "\n") : stderr.write(text + "\n"));
  const loader = new Loader(client, command, say, signal, user);
  const collections: Extract<DumpLine, { id: string }>[] = [];
  for await (const { value } of dumpLines(command.file, () => undefined)) {
    if (value.kind === "bucket" || value.kind === "group") await loader.object(value);
    else if (value.kind === "collection") collections.push(value);
  }
  const queue = collections.values();
  const worker = async () => {
    for (const collection of queue) {
      const existed = await loader.object(collection);
      await loader.records(collection.id, existed, recordsOf(command.file, collection.id));
    }
  };
  await Promise.all(Array.from({ length: Math.min(command.parallel, Math.max(1, collections.length)) }, worker));
}
