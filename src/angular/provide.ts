/**
 * `provideKintoClient(...)`: the client as an Angular provider, injected with `inject(KintoClient)`.
 */
import { HttpClient } from "@angular/common/http";
import { inject, makeEnvironmentProviders, type EnvironmentProviders } from "@angular/core";
import { KintoClient, type KintoClientOptions } from "../index.js";
import { httpClientFetch } from "./http-fetch.js";

/** A value, or a function called in an injection context that returns it (to read it from another provider). */
export type Provided<T> = T | (() => T);

/**
 * Provides one {@link KintoClient} to the application (or to the environment injector it is given
 * to), injected with `inject(KintoClient)`. Its requests are sent through the app's `HttpClient`
 * (see {@link httpClientFetch}): provide it with `provideHttpClient()` (`withFetch()` for SSR).
 * A `fetch` in the options replaces `HttpClient`.
 * @param remote server root including the version, e.g. `https://kinto.example.com/v1`, or a function
 *   returning it, called in an injection context (`() => inject(CONFIG).kintoUrl`)
 * @param options client options, or a function returning them, called the same way
 * @example
 * bootstrapApplication(AppComponent, {
 *   providers: [provideHttpClient(withFetch()), provideKintoClient("https://kinto.example.com/v1")],
 * });
 */
export function provideKintoClient(remote: Provided<string>, options: Provided<KintoClientOptions> = {}): EnvironmentProviders {
  return makeEnvironmentProviders([
    {
      provide: KintoClient,
      useFactory: () => {
        const resolved = typeof options === "function" ? options() : options;
        const url = typeof remote === "function" ? remote() : remote;
        // Without provideHttpClient(), Angular's NG0201 names HttpClient (and what it misses).
        return new KintoClient(url, resolved.fetch ? resolved : { ...resolved, fetch: httpClientFetch(inject(HttpClient)) });
      },
    },
  ]);
}
