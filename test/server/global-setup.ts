/**
 * jest globalSetup: starts the real Kinto server shared by the integration tests (unless
 * TEST_KINTO_SERVER names one) and publishes its URL as KINTO_URL to the test workers.
 */
import { startKinto, type KintoServer } from "./kinto-server";

declare global {
  // eslint-disable-next-line no-var
  var __KINTO_SERVER__: KintoServer | undefined;
}

export default async function globalSetup(): Promise<void> {
  if (process.env.TEST_KINTO_SERVER) {
    process.env.KINTO_URL = process.env.TEST_KINTO_SERVER.replace(/\/$/, "");
    return;
  }
  const server = await startKinto({ paginateBy: 10 });
  globalThis.__KINTO_SERVER__ = server;
  process.env.KINTO_URL = server.url;
}
