/**
 * What the scripted servers of the second reliability round (issue 15) share: a root endpoint and
 * Kinto's error bodies. The servers themselves are test/security/local-server.ts.
 */

/** A root endpoint (`GET /v1/`) with `capabilities`. */
export function serverInfo(capabilities: Record<string, object> = {}, batchMaxRequests = 25): object {
  return {
    project_name: "kinto",
    project_version: "26.5.0",
    http_api_version: "1.23",
    url: "http://127.0.0.1/v1/",
    settings: { batch_max_requests: batchMaxRequests, readonly: false },
    capabilities,
  };
}

/** Kinto's JSON error body. */
export const kintoError = (code: number, errno: number, error: string, message: string, details?: unknown) => ({
  code,
  errno,
  error,
  message,
  details,
});

/** Collects process warnings (`TimeoutOverflowWarning`...) until `stop()`. */
export function warnings(): { names: string[]; stop(): void } {
  const names: string[] = [];
  const listener = (warning: Error) => names.push(warning.name);
  process.on("warning", listener);
  return { names, stop: () => process.off("warning", listener) };
}
