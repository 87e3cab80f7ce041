/**
 * `kinto-rx dump <server> <bucket>`: a whole bucket as JSON Lines on stdout, one object per line,
 * in a fixed order (bucket, groups, then each collection followed by its records, all sorted by
 * id), one page in memory at a time. Nothing the server assigns (`last_modified`) is kept, so two
 * dumps of the same content are identical and diff cleanly.
 *
 * ```
 * {"kind":"bucket","id":"blog","data":{...},"permissions":{...}}
 * {"kind":"group","id":"editors","data":{"members":[...]},"permissions":{...}}
 * {"kind":"collection","id":"posts","data":{...},"permissions":{...}}
 * {"kind":"record","collection":"posts","data":{"id":"p1","title":"..."},"permissions":{...}}
 * ```
 *
 * No listing returns the permissions of records: each page of records is followed by one `/batch`
 * of GETs (per `batch_max_requests` records) that reads them.
 */
import type { Observable } from "rxjs";
import type { Bucket, KintoClient, KintoObject, Page, Permissions } from "../index";
import { normalPermissions, recordAcls } from "./acl";
import type { Command } from "./args";
import type { Output } from "./output";
import { until } from "./stop";

/** One line of a dump. */
export type DumpLine =
  | {
      readonly kind: "bucket" | "group" | "collection";
      readonly id: string;
      readonly data: Record<string, unknown>;
      readonly permissions: Permissions;
    }
  | { readonly kind: "record"; readonly collection: string; readonly data: Record<string, unknown>; readonly permissions: Permissions };

/** Records per page of a dump: one page, and its permissions, in memory at a time. */
const PAGE = 1000;
/** `/batch` reads of record permissions in flight. */
const ACL_READS = 2;

/** An object's data without what the server assigns. */
export function content(object: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { last_modified: _lm, ...rest } = object;
  return rest;
}

/** The pages of a paginated list. */
async function* pagesOf<T>(first: () => Observable<Page<T>>, signal: AbortSignal): AsyncGenerator<T[]> {
  let page = await until(first(), signal);
  for (;;) {
    yield page.data;
    if (!page.hasNextPage) return;
    page = await until(page.next(), signal);
  }
}

async function dumpCollections(bucket: Bucket, out: Output, signal: AbortSignal): Promise<void> {
  const ids: string[] = [];
  for await (const page of pagesOf<KintoObject>(() => bucket.listCollections({ sort: "id", pages: 1 }), signal))
    ids.push(...page.map((c) => c.id));
  for (const id of ids) {
    const collection = bucket.collection(id);
    const data = await until(collection.getData(), signal);
    const permissions = await until(collection.getPermissions(), signal);
    await out.write(JSON.stringify({ kind: "collection", id, data: content(data), permissions: normalPermissions(permissions) }) + "\n");
    for await (const records of pagesOf<KintoObject>(() => collection.listRecords({ sort: "id", limit: PAGE, pages: 1 }), signal)) {
      const acls = await recordAcls(
        collection,
        records.map((r) => r.id),
        signal,
        ACL_READS,
      );
      for (const record of records) {
        const acl = acls.get(record.id);
        if (!acl) continue; // deleted since the listing
        await out.write(JSON.stringify({ kind: "record", collection: id, data: content(record), permissions: acl.permissions }) + "\n");
      }
    }
  }
}

/** Writes the command's bucket to `out`. */
export async function runDump(
  client: KintoClient,
  command: Extract<Command, { name: "dump" }>,
  out: Output,
  signal: AbortSignal,
): Promise<void> {
  const bucket = client.bucket(command.bucket);
  const data = await until(bucket.getData(), signal);
  const permissions = await until(bucket.getPermissions(), signal);
  await out.write(
    JSON.stringify({ kind: "bucket", id: command.bucket, data: content(data), permissions: normalPermissions(permissions) }) + "\n",
  );
  const groups: string[] = [];
  for await (const page of pagesOf<KintoObject>(() => bucket.listGroups({ sort: "id", pages: 1 }), signal))
    groups.push(...page.map((g) => g.id));
  for (const id of groups) {
    const group = await until(bucket.getGroup(id), signal);
    await out.write(
      JSON.stringify({ kind: "group", id, data: content(group.data), permissions: normalPermissions(group.permissions) }) + "\n",
    );
  }
  await dumpCollections(bucket, out, signal);
}
