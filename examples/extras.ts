/**
 * The calls of the README's "Beyond kinto-http.js", as it shows them (type-checked with the other
 * examples): raw requests, accounts, an OpenID login URL, an attachment downloaded to a file and
 * kept only once checked, a history purge, and `/changeset` where the server has it.
 */
import { createWriteStream } from "node:fs";
import { rename, rm } from "node:fs/promises";
import * as t from "io-ts";
import { firstValueFrom, lastValueFrom } from "rxjs";
import KintoClient, { allRecords, type Collection, type KintoRecord, type Tombstone } from "kinto-rx";

/** `POST /__flush__` (the flush plugin) and a plugin's view validated by a codec of one's own. */
export async function rawRequests(client: KintoClient): Promise<Record<string, boolean | null>> {
  await firstValueFrom(client.request({ method: "POST", path: "/__flush__" }));
  const Heartbeat = t.record(t.string, t.union([t.boolean, t.null]));
  const { json: health } = await firstValueFrom(client.request({ method: "GET", path: "/__heartbeat__" }, { codec: Heartbeat }));
  return health;
}

/** Creates an account anonymously, then changes its password as its owner. */
export async function accounts(remote: string): Promise<KintoClient> {
  const anonymous = new KintoClient(remote);
  await firstValueFrom(anonymous.createAccount("alice", "s3cret-passw0rd"));
  const alice = new KintoClient(remote, { headers: { Authorization: "Basic " + btoa("alice:s3cret-passw0rd") } });
  await firstValueFrom(alice.updateAccountPassword("alice", "n3w-passw0rd"));
  alice.setHeaders({ Authorization: "Basic " + btoa("alice:n3w-passw0rd") });
  return alice;
}

/** The login URL of the server's first OpenID provider, for a browser app (undefined without one). */
export async function openIDLogin(client: KintoClient): Promise<string | undefined> {
  const [provider] = await firstValueFrom(client.fetchOpenIDProviders());
  return provider ? client.openIDLoginURL(provider, "https://app.example.com/#/auth/", "openid email") : undefined;
}

/** Streams an attachment to `file`, renamed into place only once its size and sha256 matched. */
export function downloadTo(posts: Collection, recordId: string, file: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const out = createWriteStream(`${file}.part`);
    posts.streamAttachment(recordId).subscribe({
      next: (chunk) => out.write(chunk),
      error: (error: unknown) => out.close(() => void rm(`${file}.part`, { force: true }).then(() => reject(error))),
      complete: () => out.end(() => void rename(`${file}.part`, file).then(resolve, reject)),
    });
  });
}

/** Forgets what happened to the records of "posts" more than 30 days ago. */
export async function purgeOldHistory(client: KintoClient): Promise<void> {
  const month = Date.now() - 30 * 86_400_000;
  await lastValueFrom(
    client.bucket("blog").purgeHistory({ filters: { collection_id: "posts", resource_name: "record", max_last_modified: month } }),
  );
}

/** The records of `posts`: one `/changeset` request on a Remote Settings server, else every page. */
export async function allPosts(client: KintoClient, posts: Collection): Promise<(KintoRecord | Tombstone)[]> {
  const capabilities = await firstValueFrom(client.fetchServerCapabilities());
  return "changes" in capabilities
    ? (await firstValueFrom(posts.getChangeset({ expected: 1700000000000 }))).changes
    : await lastValueFrom(posts.listRecords({ pages: Infinity }).pipe(allRecords()));
}
