import { readFileSync } from "node:fs";

/**
 * Per-process figures from /proc (Linux). CPU is read as utime + stime of the server's own process,
 * which counts its work on every thread (GC, libuv) and nothing of the load generator's.
 */

/** Clock ticks per second for /proc/<pid>/stat; 100 on every Linux this bench runs on. */
const TICKS_PER_SECOND = 100;

/** CPU time used so far by `pid`, in ms; `undefined` where /proc is missing (not Linux). */
export function cpuMs(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

/** Resident set size of `pid`, in MiB. */
export function rssMiB(pid: number): number | undefined {
  try {
    const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Busy jiffies and total jiffies per CPU, for telling whether the load generator's core was saturated. */
export function cpuTimes(): { busy: number; total: number }[] {
  try {
    return readFileSync("/proc/stat", "utf8")
      .split("\n")
      .filter((line) => /^cpu\d+ /.test(line))
      .map((line) => {
        const values = line.split(/\s+/).slice(1).map(Number);
        const total = values.reduce((sum, value) => sum + value, 0);
        const idle = (values[3] ?? 0) + (values[4] ?? 0);
        return { busy: total - idle, total };
      });
  } catch {
    return [];
  }
}

/** Percent busy per CPU between two `cpuTimes()` readings. */
export function busyPercent(before: ReturnType<typeof cpuTimes>, after: ReturnType<typeof cpuTimes>): number[] {
  return after.map((end, index) => {
    const start = before[index];
    if (!start || end.total === start.total) return 0;
    return Math.round(((end.busy - start.busy) / (end.total - start.total)) * 100);
  });
}

/** Samples a process's RSS every `intervalMs` until stopped; returns the highest reading. */
export function sampleRss(pid: number, intervalMs = 100): { stop(): number } {
  let peak = rssMiB(pid) ?? 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, rssMiB(pid) ?? 0);
  }, intervalMs);
  return {
    stop() {
      clearInterval(timer);
      return Math.max(peak, rssMiB(pid) ?? 0);
    },
  };
}
