import type { StorageCoordination } from "../../plugin-api/index.ts";
import { channels } from "../../state/keys.ts";
import { type RunLogEntry, type RunStore, isFinished, isTerminalPayload } from "../../state/runs.ts";

import type { RunMessage } from "./live-run.ts";
import { logger } from "../../utils/logger.ts";

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A follower with no message for this long re-reads the run's record once: a safety net for a message
 * lost while the bus reconnected — not the way events arrive. A run whose process died is settled by
 * the lease sweep (`RunManager`), which publishes its end like an owner would.
 */
const idleCheckMs = 15_000;

/**
 * A run another process executes, over a shared storage: subscribes to the run's channel first, then
 * reads the stored log from `afterSequence` on, then takes each event as its owner publishes it. Every
 * published event is already stored, so a gap (a message lost, or published before the subscription
 * took) is filled from storage; the end message (the owner's, or that of the process that settled the
 * run after its owner died) says how many events there are in all, and nothing follows a terminal event.
 */
export function followShared(store: RunStore, coordination: StorageCoordination, id: string, afterSequence: number): AsyncIterator<RunLogEntry> {
  let cursor = Math.max(0, afterSequence);
  let buffered: RunLogEntry[] = [];
  const received: RunLogEntry[] = [];
  let endAt: number | undefined;
  let closed = false;
  let ended = false;
  let started: Promise<void> | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let wake: (() => void) | undefined;

  const onMessage = (text: string) => {
    try {
      const message = JSON.parse(text) as RunMessage;
      if ("end" in message) endAt = message.end;
      else received.push(message);
    } catch {
      return;
    }
    wake?.();
  };
  const checkRecord = async () => {
    const record = await store.get(id);
    if (!record || isFinished(record.status)) endAt = record?.eventCount ?? cursor;
    return record;
  };
  /** What the log holds past the cursor, by the log's own counter (the record's count lags behind it). */
  const catchUp = async () => {
    const { length } = await store.length(id);
    if (length > cursor) buffered = await store.events(id, cursor, length);
  };
  const start = async () => {
    unsubscribe = await coordination.subscribe(channels.run(id), onMessage);
    await checkRecord();
    await catchUp();
  };
  /** Hands out the next entry; after a terminal one, nothing. */
  const take = (entry: RunLogEntry): IteratorResult<RunLogEntry> => {
    cursor = entry.sequence;
    if (isTerminalPayload(entry.payload)) ended = true;
    return { done: false, value: entry };
  };
  const idle = () =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), idleCheckMs);
      wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
    }).finally(() => (wake = undefined));

  return {
    async next() {
      await (started ??= start());
      for (;;) {
        if (closed) return done;
        if (ended) return done;
        const entry = buffered.shift();
        if (entry) {
          if (entry.sequence !== cursor + 1) continue;
          return take(entry);
        }
        while (received.length > 0 && received[0]!.sequence <= cursor) received.shift();
        const first = received[0];
        if (first?.sequence === cursor + 1) {
          received.shift();
          return take(first);
        }
        if (first) {
          buffered = await store.events(id, cursor, first.sequence - 1);
          if (buffered.length > 0) continue;
        }
        if (endAt !== undefined) {
          if (cursor >= endAt) return done;
          buffered = await store.events(id, cursor, endAt);
          if (buffered.length === 0) return done;
          continue;
        }
        if (await idle()) {
          await checkRecord();
          if (endAt === undefined) await catchUp();
        }
      }
    },
    async return() {
      closed = true;
      wake?.();
      await started?.catch(() => undefined);
      // A storage that is down cannot take the unsubscribe: the follower is gone all the same.
      await unsubscribe?.().catch((error: unknown) => logger.error("unsubscribing a run follower failed:", error));
      return done;
    },
  };
}
