import { setTimeout as delay } from "node:timers/promises";

/**
 * Process-level checks for tests that provoke failures: every unhandled rejection is recorded (a
 * rejection nobody handles is a bug even when the response looked right), and the process's active
 * handles (sockets, servers, timers) are counted by type so that a test can prove it leaked none.
 */
export interface Hygiene {
  /** Rejections nobody handled since `watchHygiene()`. */
  readonly unhandled: unknown[];
  /** Handle types that are more numerous now than at the start, after waiting up to `timeoutMs` for them to close. */
  leakedHandles(timeoutMs?: number): Promise<Record<string, number>>;
  stop(): void;
}

/** Call before the servers under test start; check `unhandled` and `leakedHandles()` after they closed. */
export function watchHygiene(): Hygiene {
  const unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown) => unhandled.push(reason);
  process.on("unhandledRejection", onUnhandled);
  const baseline = countHandles();
  return {
    unhandled,
    async leakedHandles(timeoutMs = 3_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        const extra = excess(countHandles(), baseline);
        if (Object.keys(extra).length === 0 || Date.now() > deadline) return extra;
        // Closing sockets take a few turns of the loop to leave the list.
        await delay(25);
      }
    },
    stop() {
      process.off("unhandledRejection", onUnhandled);
    },
  };
}

function countHandles(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

function excess(now: Record<string, number>, before: Record<string, number>): Record<string, number> {
  const extra: Record<string, number> = {};
  for (const [type, count] of Object.entries(now)) if (count > (before[type] ?? 0)) extra[type] = count - (before[type] ?? 0);
  return extra;
}
