/**
 * A batch's responses grouped as kinto-http.js's `aggregate` does: kept out of the batch module,
 * which is loaded lazily, so that an app can aggregate responses it holds without loading it.
 */
import type { AggregateResponse, BatchRequest, CheckedBatchResponse } from "./batch";

/** Groups batch responses as kinto-http.js does, and what was rolled back or is unknown apart. */
export function aggregate(responses: readonly CheckedBatchResponse[], requests: readonly BatchRequest[]): AggregateResponse {
  const result: AggregateResponse = { errors: [], published: [], conflicts: [], skipped: [], rolledBack: [], unknown: [] };
  responses.forEach((response, index) => {
    const request = requests[index];
    const body = response.body as { details?: { existing?: unknown } } | undefined;
    if (response.outcome === "rolled-back") result.rolledBack.push({ path: request.path, sent: request, error: response.body });
    else if (response.outcome === "unknown") result.unknown.push({ path: request.path, sent: request, error: response.body });
    else if (response.status >= 200 && response.status < 400) result.published.push(response.body);
    else if (response.status === 404) {
      const match = /(buckets|groups|collections|records)\/([^/?]+)(\?.*)?$/.exec(request.path);
      result.skipped.push({ id: match ? decodeURIComponent(match[2]) : undefined, path: request.path, error: response.body });
    } else if (response.status === 412) {
      result.conflicts.push({ type: "outgoing", local: request.body, remote: body?.details?.existing ?? null });
    } else result.errors.push({ path: request.path, sent: request, error: response.body });
  });
  return result;
}
