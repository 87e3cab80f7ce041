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
 * {"kind":"record","collection":"posts","data":{"id":"p1","title":"..."}}
 * ```
 */
import type { Bucket, KintoClient, KintoObject, Page, Permissions } from "../index";
import type { Command } from "./args";
import type { Output } from "./output";
import { until } from "./stop";

/** One line of a dump. */
export type DumpLine =
  | { readonly kind: "bucket" | "group" | "collection"; readonly id: string; readonly data: Record<string, unknown>; readonly permissions: Permissions }
  | { readonly kind: "record"; readonly collection: string; readonly data: Record<string, unknown> };

/** An object's data without what the server assigns. */
export function content(object: Readonly<Record<string, unknown>>): Record<string, unknown> {
  const { last_modified: _lm, ...rest } = object;
  return rest;
}

/** Permissions with sorted principals and no empty lists (the server's order is not meaningful). */
export function normalPermissions(permissions: Readonly<Permissions> | undefined): Permissions {
  const out: Permissions = {};
  for (const key of Object.keys(permissions ?? {}).sort()) {
    const principals = [...new Set(permissions![key])].sort();
    if (principals.length) out[key] = principals;
  }
  return out;
}

/** Every object of a paginated list, page by page. */
async function* everything<T>(first: () => import("rxjs").Observable<Page<T>>, signal: AbortSignal): AsyncGenerator<T> {
  let page = await until(first(), signal);
  for (;;) {
    yield* page.data;
    if (!page.hasNextPage) return;
    page = await until(page.next(), signal);
  }
}

async function dumpCollections(bucket: Bucket, out: Output, signal: AbortSignal): Promise<void> {
  const ids: string[] = [];
  for await (const collection of everything<KintoObject>(() => bucket.listCollections({ sort: "id", pages: 1 }), signal)) ids.push(collection.id);
  for (const id of ids) {
    const collection = bucket.collection(id);
    const data = await until(collection.getData(), signal);
    const permissions = await until(collection.getPermissions(), signal);
    await out.write(JSON.stringify({ kind: "collection", id, data: content(data), permissions: normalPermissions(permissions) }) + "\n");
    for await (const record of everything<KintoObject>(() => collection.listRecords({ sort: "id", pages: 1 }), signal)) {
      await out.write(JSON.stringify({ kind: "record", collection: id, data: content(record) }) + "\n");
    }
  }
}

/** Writes the command's bucket to `out`. */
export async function runDump(client: KintoClient, command: Extract<Command, { name: "dump" }>, out: Output, signal: AbortSignal): Promise<void> {
  const bucket = client.bucket(command.bucket);
  const data = await until(bucket.getData(), signal);
  const permissions = await until(bucket.getPermissions(), signal);
  await out.write(JSON.stringify({ kind: "bucket", id: command.bucket, data: content(data), permissions: normalPermissions(permissions) }) + "\n");
  const groups: string[] = [];
  for await (const group of everything<KintoObject>(() => bucket.listGroups({ sort: "id", pages: 1 }), signal)) groups.push(group.id);
  for (const id of groups) {
    const group = await until(bucket.getGroup(id), signal);
    await out.write(JSON.stringify({ kind: "group", id, data: content(group.data), permissions: normalPermissions(group.permissions) }) + "\n");
  }
  await dumpCollections(bucket, out, signal);
}
