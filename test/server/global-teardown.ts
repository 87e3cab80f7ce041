/** jest globalTeardown: stops the server (and cluster) started by globalSetup, leaving no process behind. */
export default async function globalTeardown(): Promise<void> {
  await globalThis.__KINTO_SERVER__?.stop();
  globalThis.__KINTO_SERVER__ = undefined;
  await globalThis.__KINTO_CLUSTER__?.stop();
  globalThis.__KINTO_CLUSTER__ = undefined;
}
