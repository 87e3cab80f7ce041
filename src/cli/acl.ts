/**
 * Permissions as dump and load compare them: sorted, without empty lists; and the permissions of
 * records, which no listing returns: they are read with one `/batch` of GETs per
 * `batch_max_requests` records.
 */
import { from, map, mergeMap, tap } from "rxjs";
import type { CheckedBatchResponse, Collection, KintoObject, Permissions } from "../index";
import { until } from "./stop";

/** Permissions with sorted principals and no empty lists (the server's order is not meaningful). */
export function normalPermissions(permissions: Readonly<Permissions> | undefined): Permissions {
  const out: Permissions = {};
  for (const key of Object.keys(permissions ?? {}).sort()) {
    const principals = [...new Set(permissions![key])].sort();
    if (principals.length) out[key] = principals;
  }
  return out;
}

/** `permissions` as the server holds them once `user` wrote them (Kinto keeps the writer among the writers). */
export function asWrittenBy(permissions: Readonly<Permissions>, user: string | undefined): Permissions {
  return normalPermissions({ ...permissions, write: [...(permissions.write ?? []), ...(user ? [user] : [])] });
}

/** Whether two sets of permissions are equal once normalized. */
export function samePermissions(a: Readonly<Permissions> | undefined, b: Readonly<Permissions> | undefined): boolean {
  return JSON.stringify(normalPermissions(a)) === JSON.stringify(normalPermissions(b));
}

/** A record with its permissions, as the server holds it. */
export interface RecordAcl {
  /** The record's `last_modified` when it was read. */
  readonly last_modified: number;
  /** Its permissions, normalized. */
  readonly permissions: Permissions;
}

/**
 * The permissions of `ids` in `collection` (records that are gone are left out of the map), read
 * by `/batch` requests of GETs of `batch_max_requests` records, `concurrency` of them in flight.
 */
export async function recordAcls(
  collection: Collection,
  ids: readonly string[],
  signal: AbortSignal,
  concurrency = 1,
): Promise<Map<string, RecordAcl>> {
  const acls = new Map<string, RecordAcl>();
  if (ids.length === 0) return acls;
  const size = (await until(collection.bucket.client.fetchServerSettings(), signal)).batch_max_requests || 25;
  const chunks: string[][] = [];
  for (let i = 0; i < ids.length; i += size) chunks.push(ids.slice(i, i + size));
  const read$ = from(chunks).pipe(
    mergeMap(
      (chunk) =>
        collection
          .batch<CheckedBatchResponse[]>((batch) => {
            for (const id of chunk) batch.getRecord(id);
          })
          .pipe(map((responses) => ({ chunk, responses }))),
      concurrency,
    ),
    tap(({ chunk, responses }) =>
      responses.forEach((response, i) => {
        const body = response.body as { data?: KintoObject; permissions?: Permissions } | undefined;
        if (response.status === 200 && body?.data)
          acls.set(chunk[i], { last_modified: body.data.last_modified, permissions: normalPermissions(body.permissions) });
      }),
    ),
  );
  await until(read$, signal);
  return acls;
}
