/**
 * Records as values: comparing what was sent with what the server holds, and client-side ids.
 */

/** Whether the server's record holds what was sent (`last_modified` aside; key order ignored). */
export function sameRecord(existing: Readonly<Record<string, unknown>>, sent: Readonly<Record<string, unknown>>): boolean {
  const { last_modified: _a, ...a } = existing;
  const { last_modified: _b, ...b } = sent;
  return canonical(a) === canonical(b);
}

/** JSON with object keys sorted, `undefined` members dropped (as JSON does). */
function canonical(value: unknown): string {
  return JSON.stringify(value, (_key, v: unknown) =>
    v && typeof v === "object" && !Array.isArray(v)
      ? Object.fromEntries(Object.entries(v as object).sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)))
      : v,
  );
}

/** A v4 UUID: Web Crypto's when available (browsers, Node 19+), else built from Math.random. */
export function randomId(): string {
  const webCrypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (webCrypto?.randomUUID) return webCrypto.randomUUID();
  return "xxxxxxxx-xxxx-4xxx-yxxx-xxxxxxxxxxxx".replace(/[xy]/g, (c) => {
    const r = Math.floor(Math.random() * 16);
    return (c === "x" ? r : (r & 0x3) | 0x8).toString(16);
  });
}
