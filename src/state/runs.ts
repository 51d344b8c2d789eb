import type { Storage } from "unstorage";
import { type LogAppend, logLengthKey, type StorageCoordination } from "../plugin-api/index.ts";
import type { HermesErrorInfo, Usage } from "../protocol/index.ts";
import { indexes, keys } from "./keys.ts";
import { isObject, unreadable } from "./records.ts";
import { createRetention } from "./retention.ts";

/**
 * Where a run is: the original server's statuses, `stopping` between a stop and the run's end,
 * `incomplete` for a run whose answer was cut short (output token limit, content filter, the
 * iteration bound: its log ends in `run.completed` with `status: "incomplete"`), `requires_action` for
 * a run that ended handing client tool calls back (its `run.completed` lists them), and `interrupted`
 * for a run the server's shutdown cut short (its log ends in `run.failed`).
 */
export type RunState =
  | "queued"
  | "running"
  | "waiting_for_approval"
  | "stopping"
  | "completed"
  | "incomplete"
  | "requires_action"
  | "failed"
  | "cancelled"
  | "interrupted";

/** True once a run can change no more. */
export function isFinished(status: RunState): boolean {
  return (
    status === "completed" ||
    status === "incomplete" ||
    status === "requires_action" ||
    status === "failed" ||
    status === "cancelled" ||
    status === "interrupted"
  );
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
  /** A `requires_action` run's client tool calls, waiting for their outputs (a new run sends them). */
  toolCalls?: { id: string; name: string; arguments: string }[];
  /** How many events its log holds; they are numbered 1…eventCount. */
  eventCount: number;
  /** Epoch ms after which the run and its log are gone; null while it is live. */
  expiresAt: number | null;
  /** The process executing it while it is live: where stop and approval requests are sent. */
  owner?: string;
  /** The `X-Request-Id` of the `POST /v1/runs` that started it: sent upstream with each of its calls. */
  requestId?: string;
  /** The `X-Hermes-Session-Key` it was started with: its tools' and hooks' long-term scope. */
  sessionKey?: string;
  /** The job fire that started it: whoever settles the run records the fire's end too. */
  jobFire?: { jobId: string; sequence: number };
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

/** The payloads that end a run's log: nothing is logged after one. */
export function isTerminalPayload(payload: Record<string, unknown>): boolean {
  return payload.event === "run.completed" || payload.event === "run.failed" || payload.event === "run.cancelled";
}

/**
 * Runs and their event logs in the shared storage. A record under `runs:<id>`, each event under its
 * own key (`run-events:<id>:<sequence>`), appended through the coordination's log (`append`): the
 * positions come from an atomic counter in the storage (`run-events:<id>:length`), so two processes
 * writing one run's log — its owner, and another settling it after the owner died — never write the
 * same position, and once a terminal event sealed the log nothing follows it. Any process on the same
 * storage can replay or follow a run. A finished run expires `retentionMs` after its end, a live one a
 * day after its last update (its process is gone); the eviction index removes both, events included,
 * without scanning.
 */
export function createRunStore(storage: Storage, options: RunStoreOptions) {
  const { coordination } = options;
  const now = options.now ?? Date.now;
  const { retentionMs } = options;
  const live = (record: RunRecord) => (record.expiresAt === null ? record.updatedAt * 1000 + abandonedAfterMs > now() : record.expiresAt > now());

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
      ? [...Array.from({ length: record.eventCount }, (_, index) => keys.runEventAt(key, index + 1)), logLengthKey(keys.runEventsAt(key))]
      : await storage.getKeys(keys.runEventsAt(key));
    await Promise.all(eventKeys.map((eventKey) => storage.removeItem(eventKey)));
    // Unindexed before the record goes: what is seen gone is gone from the index too. (A crash in
    // between leaves a record that Redis expires, and that the next start's rebuild indexes again.)
    await retention.removed(key);
    await storage.removeItem(key);
  };
  const retention = createRetention(options.coordination, indexes.runs, { ttlMs: retentionMs, maxEntries: options.maxEntries }, async (evicted) => {
    for (const key of evicted) await removeAt(key);
  });

  /**
   * Atomic read-modify-write of the record (see `StorageCoordination.update`): `change` returns the
   * record to store, which expires at `expiresAt` (null: a live run's day), or undefined to leave it.
   */
  const update = async (id: string, expiresAt: number | null, change: (current: RunRecord | null) => RunRecord | undefined): Promise<RunRecord | null> => {
    const key = keys.run(id);
    const until = expiresAt ?? now() + abandonedAfterMs;
    let written = false;
    const stored = await coordination.update<RunRecord>(
      key,
      (current) => {
        const next = change(current);
        written = next !== undefined;
        return next;
      },
      { ttlMs: Math.max(1, until - now()) },
    );
    if (written) await retention.written(key, until);
    return stored;
  };

  return {
    async get(id: string): Promise<RunRecord | null> {
      const record = await readAt(keys.run(id));
      return record && live(record) ? record : null;
    },
    /**
     * Stores the record, unless the stored one is finished and this one is not: a write of the owner's
     * that lands after another process settled the run never brings it back to life. One atomic
     * update. Resolves with the record stored afterwards. What is stored is a copy: the coordination
     * keeps the value it wrote, and the caller (a live run) goes on changing its own record.
     */
    async save(record: RunRecord): Promise<RunRecord | null> {
      return update(record.id, record.expiresAt, (current) =>
        current && isFinished(current.status) && !isFinished(record.status) ? undefined : { ...record },
      );
    },
    /**
     * Appends entries numbered from `entries[0].sequence` on, only if that is the next position of the
     * log (see `StorageCoordination.append`); `seal` ends the log with them. Resolves with what the log
     * did: `first` is 0 when nothing was appended (another writer took the position, or sealed the log).
     */
    append(id: string, entries: readonly RunLogEntry[], options: { seal?: boolean } = {}): Promise<LogAppend> {
      // Events outlive any record of their run; Redis drops them itself, other drivers with the record.
      return coordination.append(keys.runEvents(id), entries, {
        expect: entries[0]?.sequence ?? 1,
        seal: options.seal === true,
        ttlMs: abandonedAfterMs + retentionMs,
      });
    },
    /** The log's length and whether a terminal event sealed it, from the log's own counter. */
    length(id: string): Promise<LogAppend> {
      return coordination.append(keys.runEvents(id), []);
    },
    /**
     * The log after `afterSequence` up to `throughSequence`, in order, stopping at the first entry not
     * (yet) stored: a follower never skips an event. A terminal event is the last one read.
     */
    async events(id: string, afterSequence: number, throughSequence: number): Promise<RunLogEntry[]> {
      const wanted: string[] = [];
      for (let sequence = afterSequence + 1; sequence <= throughSequence; sequence++) wanted.push(keys.runEvent(id, sequence));
      if (wanted.length === 0) return [];
      const found = new Map<number, RunLogEntry>();
      for (const { value } of await storage.getItems<RunLogEntry | null>(wanted))
        if (isObject(value) && typeof value.sequence === "number") found.set(value.sequence, value);
      const entries: RunLogEntry[] = [];
      for (let sequence = afterSequence + 1; found.has(sequence); sequence++) {
        const entry = found.get(sequence) as RunLogEntry;
        entries.push(entry);
        // Anything after it is not the log's: left by a crash between writing entries and counting them.
        if (isObject(entry.payload) && isTerminalPayload(entry.payload)) break;
      }
      return entries;
    },
    update,
    remove: (id: string) => removeAt(keys.run(id)),
    removeAt,
  };
}

export type RunStore = ReturnType<typeof createRunStore>;
