/**
 * `kinto-rx export`: every record as one JSON line on stdout, one page in memory at a time, in
 * `--sort` order (default `last_modified`, oldest first; `id` for a stable order to diff).
 */
import type { KintoClient, KintoObject, Page } from "../index";
import type { Command } from "./args";
import type { Output } from "./output";
import { until } from "./stop";

/** Writes the records of the command's collection to `out`. */
export async function runExport(
  client: KintoClient,
  command: Extract<Command, { name: "export" }>,
  out: Output,
  signal: AbortSignal,
): Promise<void> {
  const collection = client.bucket(command.bucket).collection(command.collection);
  let page: Page<KintoObject> = await until(collection.listRecords({ sort: command.sort, since: command.since, pages: 1 }), signal);
  for (;;) {
    for (const record of page.data) await out.write(JSON.stringify(record) + "\n");
    if (!page.hasNextPage) return;
    page = await until(page.next(), signal);
  }
}
