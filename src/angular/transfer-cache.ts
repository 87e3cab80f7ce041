/**
 * What hydration needs to reuse the server's Kinto responses instead of sending them again.
 */
import type { HttpTransferCacheOptions } from "@angular/common/http";

/**
 * Options of `withHttpTransferCacheOptions(...)` (in `provideClientHydration`) for kinto-rx: the
 * response headers the client reads (`ETag` for timestamps and the feed, `Next-Page` for
 * pagination, `Total-Records`, the notices), and requests carrying `Authorization` cached too.
 * With credentials, the cached responses are written into the page: use it only where the page is
 * served to the same user.
 * @example
 * provideClientHydration(withHttpTransferCacheOptions(KINTO_TRANSFER_CACHE))
 */
export const KINTO_TRANSFER_CACHE: HttpTransferCacheOptions = {
  includeHeaders: ["ETag", "Next-Page", "Total-Records", "Content-Type", "Backoff", "Alert", "Retry-After"],
  includeRequestsWithAuthHeaders: true,
};
