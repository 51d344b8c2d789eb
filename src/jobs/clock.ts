/**
 * The time source of the job scheduler. Production uses the system clock; tests pass a fake one whose
 * `advance` runs due timers (and awaits what they return), so no test waits for real minutes.
 */
export interface JobClock {
  /** Epoch ms. */
  now(): number;
  /** Calls `callback` after `delayMs`; a returned promise is the work the wake-up started. */
  setTimeout(callback: () => unknown, delayMs: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** `Date.now` and unref'd Node timers: a sleeping scheduler never keeps the process alive. */
export const systemClock: JobClock = {
  now: () => Date.now(),
  setTimeout(callback, delayMs) {
    const timer = setTimeout(() => void callback(), delayMs);
    timer.unref();
    return timer;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};
