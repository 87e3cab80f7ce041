/**
 * The big capabilities (live feed, uploads, snapshots, changesets, attachments, accounts) are
 * loaded on first use: the façade's methods reach them through a dynamic `import()`, so that a
 * bundler splits them into chunks that an app which never calls them never downloads. Every method
 * returns a cold Observable anyway: loading happens on subscription, and an unsubscribe before the
 * module arrived sends nothing. Once loaded, a module is used synchronously.
 */
import { defer, from, switchMap, type Observable } from "rxjs";

/** A capability's module, loaded on first use: `use(m => …)` is the cold Observable of `m`'s operation. */
export interface Lazy<M> {
  /** The Observable that `fn` returns once the module is loaded (at once when it is). */
  <R>(fn: (module: M) => Observable<R>): Observable<R>;
  /** Loads the module now (an app that knows it will need it; tests that run in virtual time). */
  preload(): Promise<M>;
}

/** @internal A module loaded by `load` on first use. */
export function lazy<M>(load: () => Promise<M>): Lazy<M> {
  let loaded: M | undefined;
  const preload = (): Promise<M> => (loaded ? Promise.resolve(loaded) : load().then((module) => (loaded = module)));
  const use = <R>(fn: (module: M) => Observable<R>): Observable<R> =>
    defer(() => (loaded ? fn(loaded) : from(preload()).pipe(switchMap(fn))));
  return Object.assign(use, { preload });
}

/** @internal The live feed (`watchRecords`). */
export const feed = lazy(() => import("../streams/feed.js"));
/** @internal Uploads (`uploadRecords`). */
export const upload = lazy(() => import("../streams/upload.js"));
/** @internal Snapshots (`listRecords({at})`). */
export const snapshot = lazy(() => import("../streams/snapshot.js"));
/** @internal Changesets (`getChangeset`). */
export const changeset = lazy(() => import("./changeset.js"));
/** @internal Adding and removing attachments. */
export const attachments = lazy(() => import("./attachments.js"));
/** @internal Downloading attachments (and sha256). */
export const attachmentDownload = lazy(() => import("./attachment-download.js"));
/** @internal Batches (`batch` of the client, a bucket, a collection): the batch stream and the batchers. */
export const batch = lazy(() =>
  Promise.all([import("../streams/batch.js"), import("./batcher.js")]).then(([stream, batchers]) => ({ ...stream, ...batchers })),
);
/** @internal Accounts and OpenID providers. */
export const accounts = lazy(() => import("./accounts.js"));

/**
 * Loads every lazily loaded capability now: for an app that prefers one download up front, and
 * for tests that run in virtual time (a module's first load is a Promise, outside the scheduler).
 */
export async function preloadCapabilities(): Promise<void> {
  await Promise.all([feed, upload, snapshot, changeset, attachments, attachmentDownload, batch, accounts].map((m) => m.preload()));
}
