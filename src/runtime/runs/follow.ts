import { type RunLogEntry, type RunStore, isFinished, isTerminalPayload } from "../../state/runs.ts";

import type { LiveRun } from "./live-run.ts";

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/** How often a run owned by another process is polled for new events. */
const pollMs = 250;
/** Log entries read from storage per round trip. */
const batch = 100;

/**
 * A live run's log from `afterSequence` on, then each new entry once it is stored, until the run ends.
 * Every follower reads the one shared log: each gets every event, and one that is slow or gone holds
 * nothing up. Only stored entries are given out, so an id a client saw means the same on every
 * process and after any crash. If another process settled the run (this one lost its lease), the rest
 * comes from storage. `return()` detaches at once, even while waiting for the next event.
 */
export function followLive(live: LiveRun, afterSequence: number, store: RunStore): AsyncIterator<RunLogEntry> {
  let next = Math.max(0, afterSequence);
  let closed = false;
  let wake: (() => void) | undefined;
  let stored: AsyncIterator<RunLogEntry> | undefined;
  return {
    async next() {
      for (;;) {
        if (closed) return done;
        if (stored) return stored.next();
        if (next < live.stored) {
          const entry = live.log[next]!;
          next++;
          return { done: false, value: entry };
        }
        if (live.superseded) {
          stored = followStored(store, live.record.id, next);
          continue;
        }
        if (live.done) return done;
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
      await stored?.return?.();
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
          // Nothing follows a terminal event.
          if (isTerminalPayload(entry.payload)) {
            finished = true;
            buffered = [];
          }
          return { done: false, value: entry };
        }
        if (finished) return done;
        // Read the record first: events are stored before the record that says the run ended.
        const record = await store.get(id);
        // A finished record counts its log: nothing past it is the run's.
        const through = record && isFinished(record.status) ? Math.min(record.eventCount, cursor + batch) : cursor + batch;
        buffered = await store.events(id, cursor, through);
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
