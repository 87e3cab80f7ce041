/**
 * kinto-rx/angular: the client as an Angular provider, sending through `HttpClient`.
 * @packageDocumentation
 */
export { provideKintoClient, type Provided } from "./provide.js";
export { httpClientFetch } from "./http-fetch.js";
export { outsideAngularZone } from "./zone.js";
/** Re-exported so that `inject(KintoClient)` needs one import. */
export { KintoClient, type KintoClientOptions } from "../index.js";
export { KINTO_TRANSFER_CACHE } from "./transfer-cache.js";
