import { provideHttpClient } from "@angular/common/http";
import {
  InjectionToken,
  inject,
  provideBrowserGlobalErrorListeners,
  provideZoneChangeDetection,
  provideZonelessChangeDetection,
  type ApplicationConfig,
} from "@angular/core";
import { provideClientHydration, withHttpTransferCacheOptions } from "@angular/platform-browser";
import { KINTO_TRANSFER_CACHE, provideKintoClient } from "kinto-rx/angular";

/** The page's query string: `?kinto=<server root>&bucket=<name>`, and `&zone` to run with zone.js. */
export const QUERY = new InjectionToken<string>("QUERY");

/** The providers of the browser and of the server; zone.js only when the query asks for it. */
export function appConfig(zone: boolean, native = false): ApplicationConfig {
  const query = () => new URLSearchParams(inject(QUERY));
  return {
    providers: [
      zone ? provideZoneChangeDetection({ eventCoalescing: true }) : provideZonelessChangeDetection(),
      provideBrowserGlobalErrorListeners(),
      provideHttpClient(),
      provideClientHydration(withHttpTransferCacheOptions(KINTO_TRANSFER_CACHE)),
      provideKintoClient(
        () => query().get("kinto") ?? "http://127.0.0.1:8888/v1",
        // With `&native`, the client sends with the browser's own fetch instead of HttpClient.
        () => ({
          bucket: query().get("bucket") ?? "default",
          timeout: 10_000,
          ...(native ? { fetch: globalThis.fetch.bind(globalThis) } : {}),
        }),
      ),
    ],
  };
}

/** The browser's configuration (zone.js loaded first when the page asks for it). */
export async function browserConfig(): Promise<ApplicationConfig> {
  const query = new URLSearchParams(location.search);
  const zone = query.has("zone");
  if (zone) await import("zone.js");
  const config = appConfig(zone, query.has("native"));
  return { providers: [...config.providers, { provide: QUERY, useValue: location.search }] };
}
