import type { JobClock } from "../../src/jobs/clock.ts";

interface Timer {
  id: number;
  at: number;
  callback: () => unknown;
}

/**
 * A clock for the job scheduler that moves only when told. `advance` runs every timer that falls due on
 * the way, in time order, with `now()` set to the timer's time, and awaits what each returns (the
 * scheduler's tick): when it resolves, the fires due by then are claimed and their runs started.
 */
export class FakeJobClock implements JobClock {
  #now: number;
  #timers: Timer[] = [];
  #nextId = 1;

  constructor(start: number = Date.parse("2030-01-01T00:00:00Z")) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(callback: () => unknown, delayMs: number): unknown {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, delayMs), callback };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: unknown): void {
    this.#timers = this.#timers.filter((timer) => timer.id !== handle);
  }

  /** Timers waiting. */
  get pending(): number {
    return this.#timers.length;
  }

  /** Moves time forward by `ms`, running the timers due on the way. */
  async advance(ms: number): Promise<void> {
    const target = this.#now + ms;
    for (;;) {
      const due = this.#timers.filter((timer) => timer.at <= target).sort((a, b) => a.at - b.at || a.id - b.id)[0];
      if (!due) break;
      this.#timers = this.#timers.filter((timer) => timer !== due);
      this.#now = Math.max(this.#now, due.at);
      await due.callback();
    }
    this.#now = target;
  }

  /** Sets the time without running timers: what a stopped server does not see. */
  set(now: number): void {
    this.#now = now;
  }
}
