import type { StorageCoordination } from "../../plugin-api/index.ts";
import { channels } from "../../state/keys.ts";
import { type RunLogEntry, type RunRecord, type RunStore, isFinished } from "../../state/runs.ts";

import type { RunMessage } from "./live-run.ts";

const done: IteratorReturnResult<undefined> = { done: true, value: undefined };

/**
 * A follower with no message for this long re-reads the run's record once and checks that its process
 * still listens: a safety net for a message lost while the bus reconnected, or a process killed
 * mid-run — not the way events arrive.
 */
const idleCheckMs = 15_000;

/**
 * A run another process executes, over a shared storage: subscribes to the run's channel first, then
 * reads the stored log from `afterSequence` on, then takes each event as its owner publishes it. Every
 * published event is already stored, so a gap (a message lost, or published before the subscription
 * took) is filled from storage; the owner's end message says how many events there are in all.
 */
export function followShared(
  store: RunStore,
  coordination: StorageCoordination,
  id: string,
  afterSequence: number,
  settleAbandoned: (record: RunRecord) => Promise<RunRecord>,
): AsyncIterator<RunLogEntry> {
  let cursor = Math.max(0, afterSequence);
  let buffered: RunLogEntry[] = [];
  const received: RunLogEntry[] = [];
  let endAt: number | undefined;
  let closed = false;
  let started: Promise<void> | undefined;
  let unsubscribe: (() => Promise<void>) | undefined;
  let wake: (() => void) | undefined;
  /** Ends the wait at once and checks the stored record (the bus dropped: messages may be lost). */
  let checkNow: (() => void) | undefined;

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
  /** After a silence: a run whose process no longer listens on its channel is settled, so its followers end. */
  const checkOwner = async () => {
    const record = await checkRecord();
    if (!record || endAt !== undefined || !record.owner) return;
    if ((await coordination.publish(channels.instance(record.owner), "ping")) === 0) endAt = (await settleAbandoned(record)).eventCount;
  };
  const start = async () => {
    unsubscribe = await coordination.subscribe(channels.run(id), onMessage, () => checkNow?.());
    const record = await checkRecord();
    buffered = await store.events(id, cursor, record?.eventCount ?? cursor);
  };
  const idle = () =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(true), idleCheckMs);
      wake = () => {
        clearTimeout(timer);
        resolve(false);
      };
      checkNow = () => {
        clearTimeout(timer);
        resolve(true);
      };
    }).finally(() => (wake = checkNow = undefined));

  return {
    async next() {
      await (started ??= start());
      for (;;) {
        if (closed) return done;
        const entry = buffered.shift();
        if (entry) {
          if (entry.sequence !== cursor + 1) continue;
          cursor = entry.sequence;
          return { done: false, value: entry };
        }
        while (received.length > 0 && received[0]!.sequence <= cursor) received.shift();
        const first = received[0];
        if (first?.sequence === cursor + 1) {
          received.shift();
          cursor = first.sequence;
          return { done: false, value: first };
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
        if (await idle()) await checkOwner();
      }
    },
    async return() {
      closed = true;
      wake?.();
      await started?.catch(() => undefined);
      await unsubscribe?.();
      return done;
    },
  };
}
