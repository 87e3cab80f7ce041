/**
 * `npm run demo`: the main job of kinto-rx on an embedded server. Starts a local Kinto (memory
 * backend, random free port) from the project's venv, imports 10,000 generated records with a
 * progress bar, streams them back page by page, watches the live feed while a second writer changes
 * records, prints what it saw, and stops the server.
 */
import { firstValueFrom, lastValueFrom, tap, type Subscription } from "rxjs";
import { allRecords, KintoClient, toAsyncIterable, type Change, type KintoRecord, type UploadEvent } from "../src";
import { ProgressBar } from "../src/cli/progress";
import { startKinto } from "../test/server/kinto-server";

const RECORDS = Number(process.env.DEMO_RECORDS ?? 10_000);
const CHANGES = 20;

function* generate(count: number) {
  for (let n = 0; n < count; n++) yield { n, title: `Task ${n}`, done: n % 3 === 0 };
}

async function main(): Promise<void> {
  process.stderr.write("Starting a local Kinto server...\n");
  const server = await startKinto({ paginateBy: 1000 });
  let subscription: Subscription | undefined;
  try {
    const auth = { Authorization: "Basic " + Buffer.from("demo:demo").toString("base64") };
    const client = new KintoClient(server.url, { headers: auth, retry: 3 });
    const info = await firstValueFrom(client.fetchServerInfo());
    console.log(`Kinto ${info.project_version} at ${server.url} (batch_max_requests ${info.settings.batch_max_requests})`);
    await lastValueFrom(client.createBucket("demo"));
    await lastValueFrom(client.bucket("demo").createCollection("tasks"));
    const tasks = client.bucket("demo").collection("tasks");

    // 1. Import with backpressure: the generator is pulled only when one of 4 batch slots frees.
    const started = Date.now();
    const bar = new ProgressBar(RECORDS);
    const last = await lastValueFrom(
      tasks.uploadRecords(generate(RECORDS), { concurrency: 4 }).pipe(tap((event: UploadEvent) => bar.update(event.progress))),
    );
    bar.done(last.progress);
    console.log(
      `Imported ${last.progress.confirmed} records in ${((Date.now() - started) / 1000).toFixed(1)} s (${last.progress.failed} failed).`,
    );

    // 2. Stream them back, one page at a time (memory holds one page).
    let pages = 0;
    let count = 0;
    for await (const page of toAsyncIterable(tasks.listRecords({ sort: "n", pages: Infinity }))) {
      pages++;
      count += page.data.length;
    }
    const total = await firstValueFrom(tasks.getTotalRecords());
    console.log(`Streamed ${count} records in ${pages} pages (server says ${total}).`);

    // 3. The live feed while a second writer creates, updates and deletes records.
    const since = (await firstValueFrom(tasks.getRecordsTimestamp())) ?? undefined;
    const changes: Change<KintoRecord>[] = [];
    subscription = tasks.watchRecords({ since, interval: 100 }).subscribe((change) => changes.push(change));
    const writer = new KintoClient(server.url, { headers: auth }).bucket("demo").collection("tasks");
    for (let i = 0; i < CHANGES; i++) {
      // Per five changes: three creates, then an update of the first and a delete of the second.
      if (i % 5 === 4) await lastValueFrom(writer.deleteRecord(`live-${i - 3}`));
      else if (i % 5 === 3) await lastValueFrom(writer.updateRecord({ id: `live-${i - 3}`, title: `Live ${i - 3}, edited` }));
      else await lastValueFrom(writer.createRecord({ id: `live-${i}`, title: `Live ${i}` }));
      await new Promise((r) => setTimeout(r, 40));
    }
    const latest = await lastValueFrom(tasks.listRecords({ since, sort: "last_modified", pages: Infinity }).pipe(allRecords()));
    while (changes.length === 0 || changes[changes.length - 1].last_modified < latest[latest.length - 1].last_modified) {
      await new Promise((r) => setTimeout(r, 50));
    }
    subscription.unsubscribe();
    const label = (c: Change<KintoRecord>) => ("deleted" in c && c.deleted ? `-${c.id}` : `+${c.id}`);
    console.log(`Live feed saw ${changes.length} changes while the writer made ${CHANGES}:`);
    console.log("  " + changes.map(label).join(" "));
    const ordered = changes.every((c, i) => i === 0 || changes[i - 1].last_modified < c.last_modified);
    const unique = new Set(changes.map((c) => `${c.id}@${c.last_modified}`)).size === changes.length;
    // Every final state the server reports since the start was seen by the feed.
    const seen = new Set(changes.map((c) => `${c.id}@${c.last_modified}`));
    const missed = latest.filter((r) => !seen.has(`${r.id}@${r.last_modified}`));
    console.log(`In order: ${ordered ? "yes" : "NO"}; repeated: ${unique ? "none" : "SOME"}; missed: ${missed.length}.`);
    if (!ordered || !unique || missed.length || last.progress.confirmed !== RECORDS || count !== RECORDS) process.exitCode = 1;
  } finally {
    subscription?.unsubscribe();
    await server.stop();
    process.stderr.write("Server stopped.\n");
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
