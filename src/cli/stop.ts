/**
 * How a command stops early: Ctrl-C (SIGINT), SIGTERM, or the reader of stdout gone (EPIPE).
 * Every wait of a command goes through {@link until}, so each of them ends at once.
 */
import { Observable, last } from "rxjs";

/** Why a command stopped before its end. */
export type StopReason = "SIGINT" | "SIGTERM" | "EPIPE";

/** The command was stopped; its exit code says why (130, 143, or 0 for a closed pipe). */
export class Stopped extends Error {
  /** @param reason what stopped it */
  constructor(readonly reason: StopReason) {
    super(reason === "EPIPE" ? "stdout was closed" : `Interrupted (${reason})`);
    this.name = "Stopped";
  }

  /** The exit code: 128 + the signal's number, as shells report it; 0 when the reader left. */
  get exitCode(): number {
    return this.reason === "SIGINT" ? 130 : this.reason === "SIGTERM" ? 143 : 0;
  }
}

/** The reason carried by an aborted `signal` (a plain `abort()` counts as Ctrl-C). */
export function stopReason(signal: AbortSignal): StopReason {
  const reason: unknown = signal.reason;
  return reason === "SIGTERM" || reason === "EPIPE" ? reason : "SIGINT";
}

/**
 * The last value of `source$`, or a {@link Stopped} rejection as soon as `signal` aborts (the
 * subscription is then unsubscribed: nothing more is sent).
 */
export function until<T>(source$: Observable<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    if (signal.aborted) return reject(new Stopped(stopReason(signal)));
    const onAbort = () => {
      subscription.unsubscribe();
      reject(new Stopped(stopReason(signal)));
    };
    const subscription = source$.pipe(last()).subscribe({
      next: resolve,
      error: (error: unknown) => {
        signal.removeEventListener("abort", onAbort);
        reject(error);
      },
      complete: () => signal.removeEventListener("abort", onAbort),
    });
    signal.addEventListener("abort", onAbort, { once: true });
  });
}
