/**
 * Type-level check of `FetchLike` (issue 15, finding 10): Node's global fetch, undici's fetch (its
 * own RequestInit/Response types) and wrappers adding an undici dispatcher fit without a cast.
 * Type-checked by `npm run typecheck` and, in jest, by test/unit/fetch-like.test.ts.
 */
import type { Dispatcher, fetch as undiciFetch } from "undici-types";
import { KintoClient, type FetchLike } from "../../src";

declare const undici: typeof undiciFetch;
declare const dispatcher: Dispatcher;

export const fetches: FetchLike[] = [
  globalThis.fetch,
  undici,
  (input, init) => globalThis.fetch(input, init),
  (input, init) => undici(input, { ...init, dispatcher }),
];

export const clients = [
  new KintoClient("http://127.0.0.1:8888/v1", { fetch: undici }),
  new KintoClient("http://127.0.0.1:8888/v1", { fetch: (input, init) => undici(input, { ...init, dispatcher }) }),
];
