import { type RunLogEntry, type RunStore, isFinished } from "../../state/runs.ts";

import type { LiveRun } from "./live-run.ts";

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** How often a run owned by another process is polled for new events. */
const pollMs = 250;
/** Log entries read from storage per round trip. */
const batch = 100;

/**
 * A live run's log from `afterSequence` on, then each new entry as it is logged, until the run ends.
 * Every follower reads the one shared log: each gets every event, and one that is slow or gone holds
 * nothing up. `return()` detaches at once, even while waiting for the next event.
 */
export function followLive(live: LiveRun, afterSequence: number): AsyncIterator<RunLogEntry> {
  let next = Math.max(0, afterSequence);
  let closed = false;
  let wake: (() => void) | undefined;
  return {
    async next() {
      for (;;) {
        if (closed) return done;
        const entry = live.log[next];
        if (entry) {
          next++;
          return { done: false, value: entry };
        }
        if (live.ended) return done;
        await new Promise<void>((resolve) => {
          wake = resolve;
          live.waiters.add(resolve);
        });
        wake = undefined;
      }
    },
    async return() {
      closed = true;
      if (wake) {
        live.waiters.delete(wake);
        wake();
      }
      return done;
    },
  };
}

/**
 * A run that is not live in this process: replayed from storage. On a storage without a shared bus
 * (fs or SQLite shared by two processes), one that another process is still running is polled until
 * its record says it ended, then read to the end once more; on Redis `followShared` is used instead.
 */
export function followStored(store: RunStore, id: string, afterSequence: number): AsyncIterator<RunLogEntry> {
  let cursor = Math.max(0, afterSequence);
  let buffered: RunLogEntry[] = [];
  let closed = false;
  let finished = false;
  let timer: NodeJS.Timeout | undefined;
  let stopWaiting: (() => void) | undefined;
  const sleep = () =>
    new Promise<void>((resolve) => {
      stopWaiting = resolve;
      timer = setTimeout(resolve, pollMs);
    });
  return {
    async next() {
      for (;;) {
        if (closed) return done;
        const entry = buffered.shift();
        if (entry) {
          cursor = entry.sequence;
          return { done: false, value: entry };
        }
        if (finished) return done;
        // Read the record first: events are stored before the record that says the run ended.
        const record = await store.get(id);
        buffered = await store.events(id, cursor, cursor + batch);
        if (buffered.length > 0) continue;
        if (!record || isFinished(record.status)) {
          finished = true;
          continue;
        }
        await sleep();
      }
    },
    async return() {
      closed = true;
      clearTimeout(timer);
      stopWaiting?.();
      return done;
    },
  };
}
