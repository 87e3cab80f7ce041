import { provideHttpClient, withFetch } from "@angular/common/http";
import { inject, mergeApplicationConfig, REQUEST, type ApplicationConfig } from "@angular/core";
import { provideServerRendering, RenderMode, withRoutes } from "@angular/ssr";
import { appConfig, QUERY } from "./app.config";

/** The server renders every page, zoneless, with the query string of the request; HttpClient sends with Node's fetch. */
export const serverConfig: ApplicationConfig = mergeApplicationConfig(appConfig(false), {
  providers: [
    provideHttpClient(withFetch()),
    provideServerRendering(withRoutes([{ path: "**", renderMode: RenderMode.Server }])),
    { provide: QUERY, useFactory: () => new URL(inject(REQUEST)?.url ?? "http://localhost/").search },
  ],
});
