/**
 * A one-line progress bar on stderr: records/s, sent, confirmed, failed, ETA.
 */

/** Counters shown by the bar. */
export interface ProgressState {
  /** Records sent to the server. */
  readonly sent: number;
  /** Records the server confirmed (created or already there). */
  readonly confirmed: number;
  /** Records the server refused. */
  readonly failed: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** Renders one line of the bar (pure, for tests). */
export function renderProgress(state: ProgressState, total: number, elapsedMs: number, width = 24): string {
  const done = state.confirmed + state.failed;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(ratio * width);
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const eta = rate > 0 ? (total - done) / rate : Infinity;
  return `[${"#".repeat(filled)}${"-".repeat(width - filled)}] ${(ratio * 100).toFixed(0).padStart(3)}% ${Math.round(rate)} rec/s sent ${state.sent} confirmed ${state.confirmed} failed ${state.failed} ETA ${duration(eta)}`;
}

/** A bar drawn at most every `everyMs` on a stream (carriage return on a TTY, lines otherwise). */
export class ProgressBar {
  private last = 0;
  private readonly started = Date.now();
  /** @param total records expected @param out where to draw @param everyMs redraw period */
  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 200,
  ) {}
  /** Redraws if the period passed (or `force`). */
  update(state: ProgressState, force = false): void {
    const now = Date.now();
    if (!force && now - this.last < this.everyMs) return;
    this.last = now;
    const text = renderProgress(state, this.total, now - this.started);
    this.out.write(this.out.isTTY ? `\r${text}` : `${text}\n`);
  }
  /** Draws the final state and ends the line. */
  done(state: ProgressState): void {
    this.update(state, true);
    if (this.out.isTTY) this.out.write("\n");
  }
}
