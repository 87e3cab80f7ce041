/**
 * The big capabilities (live feed, uploads, snapshots, changesets, attachments, accounts, batches)
 * are loaded on first use: the façade's methods reach them through a dynamic `import()` of
 * capabilities.ts, so that a bundler splits them into a chunk that an app which never calls them
 * never downloads. Every method returns a cold Observable anyway: loading happens on subscription,
 * and an unsubscribe before the module arrived sends nothing. Once loaded, it is used synchronously.
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

/** @internal The capabilities loaded on first use, one module (see capabilities.ts). */
export const capabilities = lazy(() => import("./capabilities.js"));

/**
 * Loads the lazily loaded capabilities now: for an app that prefers one download up front, and
 * for tests that run in virtual time (a module's first load is a Promise, outside the scheduler).
 */
export async function preloadCapabilities(): Promise<void> {
  await capabilities.preload();
}
