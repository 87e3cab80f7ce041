/**
 * Per-request values that travel with a request down the chain (in the spirit of Angular's
 * `HttpContext`): typed by their token, immutable, read by the links that care.
 *
 * ```ts
 * const TRACE = new ContextToken<string | undefined>("trace", () => undefined);
 * client.request({ method: "GET", path: "/", context: RequestContext.empty.set(TRACE, "abc") });
 * // in an interceptor: request.context?.get(TRACE)
 * ```
 */

/**
 * The key of one context value, with the value's type and its default.
 * @typeParam T the value's type
 */
export class ContextToken<T> {
  /**
   * @param name a name for messages and debugging
   * @param defaultValue the value of a context that has none for this token
   */
  constructor(
    readonly name: string,
    readonly defaultValue: () => T,
  ) {}
}

/** An immutable map of {@link ContextToken}s to values: `set` returns a new context. */
export class RequestContext {
  /** The context without any value. */
  static readonly empty = new RequestContext(new Map());

  private constructor(private readonly values: ReadonlyMap<ContextToken<unknown>, unknown>) {}

  /** The value of `token`, or its default. */
  get<T>(token: ContextToken<T>): T {
    return this.values.has(token) ? (this.values.get(token) as T) : token.defaultValue();
  }

  /** Whether `token` has a value of its own here. */
  has(token: ContextToken<unknown>): boolean {
    return this.values.has(token);
  }

  /** A context with `token` set to `value` (this one is unchanged). */
  set<T>(token: ContextToken<T>, value: T): RequestContext {
    const values = new Map(this.values);
    values.set(token as ContextToken<unknown>, value);
    return new RequestContext(values);
  }
}
