import type { Storage } from "unstorage";
import type { RunSnapshot } from "../wire/runs/index.ts";
import { keys } from "./keys.ts";

/** A run as stored: its status object's data, plus when it may be forgotten. */
export interface RunRecord extends RunSnapshot {
  /** How many events its log holds; they are numbered 1…eventCount. */
  eventCount: number;
  /** Epoch ms after which the run and its log are gone; null while it is live. */
  expiresAt: number | null;
}

/** One entry of a run's event log: the frame id and the payload, as streamed. */
export interface RunLogEntry {
  sequence: number;
  payload: Record<string, unknown>;
}

/** A live record untouched this long belongs to a process that died. */
const abandonedAfterMs = 24 * 60 * 60 * 1000;

export interface RunStoreOptions {
  now?: () => number;
}

/**
 * Runs and their event logs in the shared storage. A record under `runs:<id>`, each event under its
 * own key (`run-events:<id>:<sequence>`): appending is one write, never a rewrite of the whole log,
 * and any process on the same storage can replay or follow a run. Expired runs read as missing and
 * are deleted by `sweep`.
 */
export function createRunStore(storage: Storage, options: RunStoreOptions = {}) {
  const now = options.now ?? Date.now;
  const live = (record: RunRecord | null) => (record && (record.expiresAt === null || record.expiresAt > now()) ? record : null);

  const remove = async (id: string) => {
    const eventKeys = await storage.getKeys(keys.runEvents(id));
    await Promise.all(eventKeys.map((key) => storage.removeItem(key)));
    await storage.removeItem(keys.run(id));
  };

  return {
    async get(id: string): Promise<RunRecord | null> {
      return live(await storage.getItem<RunRecord>(keys.run(id)));
    },
    async save(record: RunRecord): Promise<void> {
      await storage.setItem(keys.run(record.id), record);
    },
    async append(id: string, entry: RunLogEntry): Promise<void> {
      await storage.setItem(keys.runEvent(id, entry.sequence), entry);
    },
    /**
     * The log after `afterSequence` up to `throughSequence`, in order, stopping at the first entry not
     * (yet) stored: a follower never skips an event.
     */
    async events(id: string, afterSequence: number, throughSequence: number): Promise<RunLogEntry[]> {
      const wanted: string[] = [];
      for (let sequence = afterSequence + 1; sequence <= throughSequence; sequence++) wanted.push(keys.runEvent(id, sequence));
      if (wanted.length === 0) return [];
      const found = new Map<number, RunLogEntry>();
      for (const { value } of await storage.getItems<RunLogEntry | null>(wanted))
        if (value !== null && typeof value === "object") found.set(value.sequence, value);
      const entries: RunLogEntry[] = [];
      for (let sequence = afterSequence + 1; found.has(sequence); sequence++) entries.push(found.get(sequence) as RunLogEntry);
      return entries;
    },
    remove,
    /**
     * Deletes every expired run and its log, and runs not updated for a day whose process is gone
     * (a live run touches its record on every status change; one that never ends would stay forever).
     */
    async sweep(): Promise<number> {
      let removed = 0;
      for (const key of await storage.getKeys(keys.runs())) {
        const record = await storage.getItem<RunRecord>(key);
        if (!record) continue;
        const expired = record.expiresAt !== null ? record.expiresAt <= now() : record.updatedAt * 1000 + abandonedAfterMs <= now();
        if (!expired) continue;
        await remove(record.id);
        removed++;
      }
      return removed;
    },
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
