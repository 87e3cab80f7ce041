/**
 * The progress of an import on stderr. On a terminal: one line redrawn in place, never wider than
 * the terminal. Elsewhere (a pipe, a log file): a plain line at the start, at every 10 %, and at
 * the end.
 */

/** Counters shown by the progress display. */
export interface ProgressState {
  /** Records sent to the server. */
  readonly sent: number;
  /** Records the server confirmed. */
  readonly confirmed: number;
  /** Records the server refused. */
  readonly failed: number;
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  return `${String(Math.floor(s / 60)).padStart(2, "0")}:${String(s % 60).padStart(2, "0")}`;
}

/** The figures of a progress line, most important first (the last ones go when space is short). */
function figures(state: ProgressState, total: number, elapsedMs: number): string[] {
  const done = state.confirmed + state.failed;
  const ratio = total > 0 ? Math.min(1, done / total) : 1;
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  return [
    `${(ratio * 100).toFixed(0).padStart(3)}%`,
    `${state.confirmed}/${total} confirmed`,
    `${state.failed} failed`,
    `ETA ${duration(rate > 0 ? (total - done) / rate : Infinity)}`,
    `${Math.round(rate)} rec/s`,
    `${state.sent} sent`,
  ];
}

/**
 * One line of progress, at most `columns - 1` characters (the last column would wrap on some
 * terminals): a bar of up to 30 cells, then as many figures as fit.
 */
export function renderProgress(state: ProgressState, total: number, elapsedMs: number, columns = 80): string {
  const limit = Math.max(1, columns - 1);
  const all = figures(state, total, elapsedMs);
  let text = all.join(" ");
  for (let keep = all.length; keep > 1 && text.length > limit; keep--) text = all.slice(0, keep - 1).join(" ");
  const room = limit - text.length - 3;
  if (room < 5) return text.slice(0, limit);
  const cells = Math.min(30, room);
  const done = state.confirmed + state.failed;
  const filled = Math.round((total > 0 ? Math.min(1, done / total) : 1) * cells);
  return `[${"#".repeat(filled)}${"-".repeat(cells - filled)}] ${text}`;
}

/** The plain line of a non-terminal: the figures, without a bar. */
export function progressLine(state: ProgressState, total: number, elapsedMs: number): string {
  return figures(state, total, elapsedMs).join(", ").replace(/^ +/, "");
}

/**
 * A progress display on a stream: redrawn in place (at most every `everyMs`) on a terminal; on
 * anything else, a line at the start, one per 10 % reached, and one at the end.
 */
export class ProgressBar {
  private last = 0;
  private tenth = -1;
  private printed = -1;
  private drawn = false;
  private readonly started = Date.now();
  /** @param total records expected @param out where to draw @param everyMs redraw period on a terminal */
  constructor(
    private readonly total: number,
    private readonly out: NodeJS.WriteStream = process.stderr,
    private readonly everyMs = 100,
  ) {}

  /** Redraws if the period passed (or `force`); off a terminal, writes a line per 10 % reached. */
  update(state: ProgressState, force = false): void {
    const now = Date.now();
    if (this.out.isTTY) {
      if (!force && now - this.last < this.everyMs) return;
      this.last = now;
      // \r back to the start of the line, \x1b[K erases what a longer previous line left.
      this.out.write(`\r${renderProgress(state, this.total, now - this.started, this.out.columns || 80)}\x1b[K`);
      this.drawn = true;
      return;
    }
    const done = state.confirmed + state.failed;
    const tenth = this.total > 0 ? Math.floor((Math.min(done, this.total) * 10) / this.total) : 10;
    if (tenth === this.tenth && !(force && done !== this.printed)) return;
    this.tenth = tenth;
    this.printed = done;
    this.out.write(`${progressLine(state, this.total, now - this.started)}\n`);
  }

  /** Draws the final state and ends the line, so that what follows starts on a line of its own. */
  done(state: ProgressState): void {
    this.update(state, true);
    if (this.out.isTTY && this.drawn) this.out.write("\n");
  }
}
