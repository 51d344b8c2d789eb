import type { Storage } from "unstorage";
import type { StorageCoordination } from "../plugin-api/index.ts";
import type { HermesErrorInfo, Usage } from "../protocol/index.ts";
import { indexes, keys } from "./keys.ts";
import { isObject, storageTtl, unreadable } from "./records.ts";
import { createRetention } from "./retention.ts";

/**
 * Where a run is: the original server's statuses, `stopping` between a stop and the run's end,
 * `incomplete` for a run whose answer was cut short (output token limit, content filter, the
 * iteration bound: its log ends in `run.completed` with `status: "incomplete"`), and `interrupted`
 * for a run the server's shutdown cut short (its log ends in `run.failed`).
 */
export type RunState =
  | "queued"
  | "running"
  | "waiting_for_approval"
  | "stopping"
  | "completed"
  | "incomplete"
  | "failed"
  | "cancelled"
  | "interrupted";

/** True once a run can change no more. */
export function isFinished(status: RunState): boolean {
  return status === "completed" || status === "incomplete" || status === "failed" || status === "cancelled" || status === "interrupted";
}

/** A run as stored: what its status object is built from, plus its log's length, owner and expiry. */
export interface RunRecord {
  id: string;
  status: RunState;
  /** Unix seconds. */
  createdAt: number;
  updatedAt: number;
  sessionId: string;
  model: string;
  lastEvent: string | null;
  output: string | null;
  usage: Usage | null;
  error: Pick<HermesErrorInfo, "message" | "code"> | null;
  /** Why an `incomplete` run's answer was cut short: `max_output_tokens`, `content_filter`, `max_iterations`. */
  incompleteReason?: string;
  /** The oldest pending `approval.request` payload while the run waits for one. */
  approval: Record<string, unknown> | null;
  /** How many events its log holds; they are numbered 1…eventCount. */
  eventCount: number;
  /** Epoch ms after which the run and its log are gone; null while it is live. */
  expiresAt: number | null;
  /** The process executing it while it is live: where stop and approval requests are sent. */
  owner?: string;
  /** The `X-Request-Id` of the `POST /v1/runs` that started it: sent upstream with each of its calls. */
  requestId?: string;
}

/** One entry of a run's event log: the frame id and the payload, as streamed. */
export interface RunLogEntry {
  sequence: number;
  payload: Record<string, unknown>;
}

/** A live record untouched this long belongs to a process that died. */
export const abandonedAfterMs = 24 * 60 * 60 * 1000;

export interface RunStoreOptions {
  coordination: StorageCoordination;
  /** How long a finished run stays readable (`agent.runRetentionMs`). */
  retentionMs: number;
  /** Runs kept at most; the least recently updated go first. */
  maxEntries: number;
  now?: () => number;
}

/**
 * Runs and their event logs in the shared storage. A record under `runs:<id>`, each event under its
 * own key (`run-events:<id>:<sequence>`): appending is one write, never a rewrite of the whole log,
 * and any process on the same storage can replay or follow a run. A finished run expires
 * `retentionMs` after its end, a live one a day after its last update (its process is gone); the
 * eviction index removes both, events included, without scanning.
 */
export function createRunStore(storage: Storage, options: RunStoreOptions) {
  const now = options.now ?? Date.now;
  const { retentionMs } = options;
  const live = (record: RunRecord) =>
    record.expiresAt === null ? record.updatedAt * 1000 + abandonedAfterMs > now() : record.expiresAt > now();

  const readAt = async (key: string): Promise<RunRecord | null> => {
    const value = await storage.getItem(key);
    if (value === null) return null;
    if (!isObject(value) || typeof value.id !== "string" || typeof value.eventCount !== "number") return unreadable(key);
    return value as unknown as RunRecord;
  };
  /** Deletes the run stored at `key` and its log. */
  const removeAt = async (key: string) => {
    const record = await readAt(key);
    // The record says how long the log is; without it (unreadable), list what is there.
    const eventKeys = record
      ? Array.from({ length: record.eventCount }, (_, index) => keys.runEventAt(key, index + 1))
      : await storage.getKeys(keys.runEventsAt(key));
    await Promise.all(eventKeys.map((eventKey) => storage.removeItem(eventKey)));
    await storage.removeItem(key);
    await retention.removed(key);
  };
  const retention = createRetention(options.coordination, indexes.runs, { ttlMs: retentionMs, maxEntries: options.maxEntries }, async (evicted) => {
    for (const key of evicted) await removeAt(key);
  });

  return {
    async get(id: string): Promise<RunRecord | null> {
      const record = await readAt(keys.run(id));
      return record && live(record) ? record : null;
    },
    async save(record: RunRecord): Promise<void> {
      const expiresAt = record.expiresAt ?? now() + abandonedAfterMs;
      const key = keys.run(record.id);
      await retention.written(key, expiresAt, storage.setItem(key, record, storageTtl(Math.max(1, expiresAt - now()))));
    },
    async append(id: string, entry: RunLogEntry): Promise<void> {
      // Events outlive any record of their run; Redis drops them itself, other drivers with the record.
      await storage.setItem(keys.runEvent(id, entry.sequence), entry, storageTtl(abandonedAfterMs + retentionMs));
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
        if (isObject(value) && typeof value.sequence === "number") found.set(value.sequence, value);
      const entries: RunLogEntry[] = [];
      for (let sequence = afterSequence + 1; found.has(sequence); sequence++) entries.push(found.get(sequence) as RunLogEntry);
      return entries;
    },
    remove: (id: string) => removeAt(keys.run(id)),
    removeAt,
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
