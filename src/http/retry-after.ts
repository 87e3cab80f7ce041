/**
 * Parses a `Retry-After` (or `Backoff`) header value into milliseconds.
 * Accepted: a non-negative whole number of seconds, or an HTTP-date. Anything else (`soon`, `-1`,
 * `1.5`, empty) is `undefined`, so that callers fall back to their own delay instead of 0.
 * @param value the header value
 * @param now the current time in ms (for HTTP-dates)
 */
export function parseRetryAfter(value: string | null | undefined, now: number = Date.now()): number | undefined {
  if (value == null) return undefined;
  const text = value.trim();
  // An absurd number of seconds (400 digits is Infinity) stays a finite, very long, delay.
  if (/^\d+$/.test(text)) return Math.min(Number(text) * 1000, Number.MAX_SAFE_INTEGER);
  if (!/^[A-Za-z]{3}, \d{2} [A-Za-z]{3} \d{4} \d{2}:\d{2}:\d{2} GMT$/.test(text)) return undefined;
  const date = Date.parse(text);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}
