// An ES module consumer of the built package under "module": "nodenext" (type-checked by
// test/angular/types.test.ts against dist/types): the default import is the class.
import KintoClient, { KintoClient as Named, KintoHttpError, type KintoClientOptions } from "kinto-rx";
import {
  httpClientFetch,
  KINTO_TRANSFER_CACHE,
  KintoClient as FromAngular,
  outsideAngularZone,
  provideKintoClient,
} from "kinto-rx/angular";

const options: KintoClientOptions = { retry: 1 };
const client: Named = new KintoClient("http://127.0.0.1:8888/v1", options);
const same: FromAngular = client;
export const checks = [
  same.remote,
  KintoHttpError,
  httpClientFetch,
  KINTO_TRANSFER_CACHE.includeHeaders,
  outsideAngularZone,
  provideKintoClient("http://127.0.0.1:8888/v1"),
];
