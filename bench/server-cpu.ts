/**
 * CPU time of this process's descendants (the servers the bench started: gunicorn and its workers,
 * PostgreSQL and its backends), from /proc: what the server spent on a run, which other load on the
 * machine disturbs much less than wall time. Linux only (`undefined` elsewhere).
 */
import { readdirSync, readFileSync } from "node:fs";

const TICK_MS = 10; // USER_HZ is 100 on Linux

/** User + system CPU ms of every live descendant of this process (not this process itself). */
export function descendantsCpuMs(): number | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc").filter((e) => /^\d+$/.test(e));
  } catch {
    return undefined;
  }
  const parent = new Map<number, number>();
  const cpu = new Map<number, number>();
  for (const e of entries) {
    try {
      const stat = readFileSync(`/proc/${e}/stat`, "utf8");
      // The command name is in parentheses and may contain spaces: fields are counted after it.
      const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
      parent.set(Number(e), Number(fields[1]));
      cpu.set(Number(e), (Number(fields[11]) + Number(fields[12])) * TICK_MS);
    } catch {
      // The process ended meanwhile.
    }
  }
  let total = 0;
  for (const [pid, ms] of cpu) {
    let p = parent.get(pid);
    for (let depth = 0; p !== undefined && p > 1 && depth < 64; depth++) {
      if (p === process.pid) {
        total += ms;
        break;
      }
      p = parent.get(p);
    }
  }
  return total;
}
