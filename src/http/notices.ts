/**
 * Server notices read from response headers, published as hot subjects:
 * `Backoff` (wait before the next request), `Alert` (deprecation), `Retry-After`.
 */
import { BehaviorSubject, defer, Subject, type Observable, type SchedulerLike } from "rxjs";
import type { RequestSummary } from "./errors";
import { parseRetryAfter } from "./retry-after";
import { waitFor, type Wait } from "./wait";

/** Default cap of a server's Backoff: one day. A longer Backoff is waited for one day. */
export const DEFAULT_MAX_BACKOFF = 86_400_000;

/** The parsed `Alert` header of a server announcing a deprecation (end of life). */
export interface DeprecationAlert {
  /** `soft-eol` (still served) or `hard-eol`. */
  readonly code: string;
  /** Human readable message. */
  readonly message: string;
  /** Where to read about it. */
  readonly url: string;
}

/** The events a client emits, with their payload (as kinto-http.js). */
export interface NoticeEventMap {
  /** Backoff release time in ms since epoch (0: none), after every response. */
  backoff: number;
  /** A deprecation `Alert`. */
  deprecated: DeprecationAlert;
  /** Release time (ms since epoch) of a `Retry-After`. */
  "retry-after": number;
}

/** The subset of Node's EventEmitter that kinto-http's `events` option uses (a Node EventEmitter fits). */
export interface EventEmitterLike {
  /** Emits `event` with `payload`. */
  emit(event: string, payload: unknown): unknown;
  /** Adds a listener of `event`. */
  on<K extends keyof NoticeEventMap>(event: K, listener: (payload: NoticeEventMap[K]) => void): unknown;
}

const NO_LISTENERS: readonly ((payload: never) => void)[] = [];

/** The emitter a client creates when its options give none: `on`, `off` and `emit`, synchronous. */
export class NoticeEmitter implements EventEmitterLike {
  private readonly listeners = new Map<string, ((payload: never) => void)[]>();

  /** Adds a listener of `event`; returns this emitter. */
  on<K extends keyof NoticeEventMap>(event: K, listener: (payload: NoticeEventMap[K]) => void): this {
    this.listeners.set(event, [...(this.listeners.get(event) ?? []), listener as (payload: never) => void]);
    return this;
  }

  /** Removes a listener added with {@link on}; returns this emitter. */
  off<K extends keyof NoticeEventMap>(event: K, listener: (payload: NoticeEventMap[K]) => void): this {
    this.listeners.set(
      event,
      (this.listeners.get(event) ?? []).filter((l) => l !== listener),
    );
    return this;
  }

  /** Calls the listeners of `event` in order; returns whether there was any. */
  emit(event: string, payload: unknown): boolean {
    const listeners = this.listeners.get(event) ?? NO_LISTENERS;
    for (const listener of listeners) (listener as (payload: unknown) => void)(payload);
    return listeners.length > 0;
  }
}

/** Hot subjects fed by every response's headers. */
export class Notices {
  /** Backoff release time in ms since epoch (at most `maxBackoff` ahead); 0 when no backoff is in force. Replays the current value. */
  readonly backoff$ = new BehaviorSubject<number>(0);
  /** Each `Alert` header received. */
  readonly deprecated$ = new Subject<DeprecationAlert>();
  /** Release time (ms since epoch) of each `Retry-After` received. */
  readonly retryAfter$ = new Subject<number>();
  /** Each wait of a request before it is sent: a Backoff in force, or the delay of a retry. */
  readonly waiting$ = new Subject<Wait>();

  /**
   * @param events optional EventEmitter receiving `backoff`, `deprecated` and `retry-after` events,
   *   as kinto-http.js emits them
   * @param now clock (injectable for tests)
   * @param maxBackoff longest Backoff honoured, in ms (default one day): a longer one is capped to it
   */
  constructor(
    private readonly events?: Pick<EventEmitterLike, "emit">,
    private readonly now: () => number = Date.now,
    private readonly maxBackoff: number = DEFAULT_MAX_BACKOFF,
  ) {}

  /**
   * Waits `ms` (a timer that never overflows), announced on {@link waiting$} when subscribed.
   * @param reason what the wait is for
   * @param ms how long
   * @param request the waiting request, if known
   * @param error for a retry, the failed attempt's error
   * @param scheduler the timer's scheduler (tests)
   */
  wait(reason: Wait["reason"], ms: number, request?: RequestSummary, error?: unknown, scheduler?: SchedulerLike): Observable<0> {
    return defer(() => {
      const wait: Wait = { reason, ms, until: this.now() + ms, ...(request ? { request } : {}), ...(error !== undefined ? { error } : {}) };
      this.waiting$.next(wait);
      return waitFor(ms, scheduler);
    });
  }

  /** Reads the notices of one response. */
  observe(headers: Pick<Headers, "get">): void {
    // Most responses carry none of the three headers: nothing is parsed then.
    const backoff = headers.get("Backoff");
    const backoffMs = backoff === null ? undefined : parseRetryAfter(backoff);
    const release = backoffMs === undefined ? 0 : this.now() + Math.min(backoffMs, this.maxBackoff);
    if (release !== 0 || this.backoff$.value !== 0) this.backoff$.next(release);
    this.events?.emit("backoff", release);

    const alert = parseAlert(headers.get("Alert"));
    if (alert) {
      const observed = this.deprecated$.observed;
      this.deprecated$.next(alert);
      const heard = this.events?.emit("deprecated", alert) === true;
      if (!observed && !heard) this.warnOnce(alert);
    }

    const retryAfter = headers.get("Retry-After");
    const retryMs = retryAfter === null ? undefined : parseRetryAfter(retryAfter);
    if (retryMs !== undefined) {
      const at = this.now() + retryMs;
      this.retryAfter$.next(at);
      this.events?.emit("retry-after", at);
    }
  }

  private warned = false;

  /**
   * As kinto-http.js, an end-of-life Alert is written to the console (`console.warn(message, url)`),
   * but only when nobody listens (no `deprecated$` subscriber, no `deprecated` listener: an app that
   * listens decides what to show) and once per client, not on every response.
   */
  private warnOnce(alert: DeprecationAlert): void {
    if (this.warned) return;
    this.warned = true;
    globalThis.console?.warn?.(alert.message, alert.url);
  }

  /** Milliseconds left before the Backoff release time (0 when none is in force). */
  backoffRemaining(): number {
    return Math.max(0, this.backoff$.value - this.now());
  }
}

function parseAlert(value: string | null): DeprecationAlert | undefined {
  if (!value) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (!parsed || typeof parsed !== "object") return undefined;
    const o = parsed as Record<string, unknown>;
    return { code: String(o.code ?? ""), message: String(o.message ?? ""), url: String(o.url ?? "") };
  } catch {
    return { code: "unknown", message: value, url: "" };
  }
}
