/**
 * Operations that need a server plugin check its capability first, so that a server without it
 * gives a typed error naming the plugin instead of a bare 404.
 */
import { defer, map, switchMap, type Observable } from "rxjs";
import { MissingCapabilityError } from "../http/errors";
import type { ServerCapabilities } from "./codecs";
import type { Executor } from "./scope";

/** The server's capabilities (cached by the client), or `undefined` when the executor cannot tell. */
export function capabilitiesOf(executor: Executor): Observable<ServerCapabilities | undefined> {
  return defer(() => (executor.fetchServerCapabilities ? executor.fetchServerCapabilities() : [undefined]));
}

/**
 * `operation$` once the server announced `capability` (read from the cached server info);
 * otherwise a {@link MissingCapabilityError}.
 */
export function withCapability<T>(
  executor: Executor,
  capability: string,
  operation: string,
  operation$: () => Observable<T>,
): Observable<T> {
  return capabilitiesOf(executor).pipe(
    map((capabilities) => {
      if (capabilities && !(capability in capabilities)) throw new MissingCapabilityError(capability, operation);
    }),
    switchMap(() => operation$()),
  );
}
