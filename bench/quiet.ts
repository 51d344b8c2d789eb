import { busyPercent, cpuTimes } from "./proc.ts";

/**
 * Waits (up to `maxSeconds`) for a second in which no CPU is more than `threshold` % busy. Called
 * before each measurement while the bench's own servers are idle, so whatever load it sees belongs to
 * someone else: on a shared machine, a test suite running beside the bench doubles its figures.
 * Returns the seconds waited, or -1 when the machine never went quiet.
 */
export async function waitForQuiet(maxSeconds: number, threshold = 20): Promise<number> {
  const started = Date.now();
  for (;;) {
    const before = cpuTimes();
    await new Promise((resolve) => setTimeout(resolve, 1_000));
    if (busyPercent(before, cpuTimes()).every((percent) => percent <= threshold)) return Math.round((Date.now() - started) / 1000) - 1;
    if (Date.now() - started >= maxSeconds * 1000) return -1;
  }
}
