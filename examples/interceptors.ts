/**
 * The README's two interceptors, as it shows them (type-checked with the other examples, and run
 * against the real server by test/integration/interceptors.test.ts): log each request, and refresh
 * a bearer token on 401, then replay.
 */
import { catchError, from, switchMap, tap, throwError, type Observable } from "rxjs";
import { KintoHttpError, type KintoInterceptor } from "kinto-rx";

/** Logs method, path, status and duration of every attempt of every request. */
export function logRequests(log: (line: string) => void = console.log): KintoInterceptor {
  return (request, next) => {
    const start = Date.now();
    const done = (status: number | string) => log(`${request.method} ${request.path} ${status} ${Date.now() - start}ms`);
    return next(request).pipe(
      tap({
        next: (response) => done(response.status),
        error: (error: unknown) => done(error instanceof KintoHttpError ? error.status : "failed"),
      }),
    );
  };
}

/**
 * On a 401, gets a new `Authorization` value once (a token refresh), keeps it for later requests
 * and replays the request with it. Requests already refreshed are not refreshed again.
 * @param refresh resolves the new header value, e.g. `"Bearer " + token`
 * @param keep stores it (e.g. `(value) => client.setHeaders({ Authorization: value })`)
 */
export function refreshOn401(refresh: () => Promise<string> | Observable<string>, keep: (authorization: string) => void): KintoInterceptor {
  return (request, next) =>
    next(request).pipe(
      catchError((error: unknown) => {
        if (!(error instanceof KintoHttpError) || error.status !== 401) return throwError(() => error);
        return from(refresh()).pipe(
          switchMap((authorization) => {
            keep(authorization);
            return next({ ...request, headers: { ...request.headers, Authorization: authorization } });
          }),
        );
      }),
    );
}
