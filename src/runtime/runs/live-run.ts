import { type RunLogEntry, type RunRecord, type RunStore, isFinished, type RunState } from "../../state/runs.ts";
import { type RunsPayload } from "../../wire/runs/index.ts";
import { ApprovalQueue } from "./approvals.ts";
import { loggable } from "../../state/storage-guard.ts";
import { logger } from "../../utils/logger.ts";

/** What a live run publishes for followers on other processes: each stored event, then its end. */
export type RunMessage = RunLogEntry | { end: number };

export interface LiveRunOptions {
  now: () => number;
  retentionMs: number;
  /** Fans events out to other processes (Redis pub/sub); absent when the storage is not shared. */
  publish?: (message: RunMessage) => Promise<unknown>;
  /** Called once when the run reaches its terminal status (it frees its slot in the run limit). */
  onFinish?: () => void;
}

/**
 * A run this process is executing: its record, its log in memory for live followers, and its
 * controls. Every change is written to storage in the order it was made (one promise chain), so the
 * stored log never has a gap and a finished record is never stored before its last event.
 */
export class LiveRun {
  readonly record: RunRecord;
  readonly log: RunLogEntry[] = [];
  /** Woken on every new entry and at the end. */
  readonly waiters = new Set<() => void>();
  readonly stop = new AbortController();
  readonly approvals = new ApprovalQueue();
  ended = false;
  /** The storage writes so far; await it to know everything is stored. */
  persisted: Promise<void> = Promise.resolve();
  readonly #store: RunStore;
  readonly #now: () => number;
  readonly #retentionMs: number;
  readonly #publish: ((message: RunMessage) => Promise<unknown>) | undefined;
  #onFinish: (() => void) | undefined;
  /** The first write that did not land: the stored log or record is behind what followers here saw. */
  #unstored: unknown;

  constructor(record: RunRecord, store: RunStore, options: LiveRunOptions) {
    this.record = record;
    this.#store = store;
    this.#now = options.now;
    this.#retentionMs = options.retentionMs;
    this.#publish = options.publish;
    this.#onFinish = options.onFinish;
  }

  /** Seconds with milliseconds, as the original server stamps its events. */
  timestamp(): number {
    return this.#now() / 1000;
  }

  /** Appends an event to the log, wakes the followers, and stores it. */
  emit(payload: RunsPayload): void {
    const entry: RunLogEntry = { sequence: this.log.length + 1, payload };
    this.log.push(entry);
    this.record.eventCount = entry.sequence;
    this.record.lastEvent = payload.event;
    this.record.updatedAt = Math.floor(this.#now() / 1000);
    const id = this.record.id;
    // Published only once stored: a follower elsewhere that sees event N can read 1…N-1 from storage.
    this.persisted = this.persisted
      .then(() => this.#store.append(id, entry))
      .then(() => this.#announce(entry))
      .catch(this.#persistFailed);
    this.#wake();
  }

  /** A stop wins over every status but the terminal ones; nothing changes a terminal status. */
  setStatus(status: RunState): void {
    const current = this.record.status;
    if (isFinished(current) || (current === "stopping" && !isFinished(status))) return;
    this.record.status = status;
    this.save();
  }

  /** The run's end: retention starts now. */
  finish(status: "completed" | "failed" | "cancelled" | "interrupted"): void {
    this.record.approval = null;
    this.record.expiresAt = this.#now() + this.#retentionMs;
    this.setStatus(status);
    // Now, not once everything is stored: a client that sees the end may start its next run at once.
    const onFinish = this.#onFinish;
    this.#onFinish = undefined;
    onFinish?.();
  }

  /** After an approval was asked or answered: the oldest pending one shows in the status object. */
  approvalsChanged(): void {
    this.record.approval = this.approvals.oldestPayload();
    if (this.record.status === "running" || this.record.status === "waiting_for_approval")
      this.record.status = this.record.approval ? "waiting_for_approval" : "running";
    this.save();
  }

  /** No more events: followers drain the log and end. */
  close(): void {
    this.ended = true;
    this.#wake();
    this.save();
    const eventCount = this.record.eventCount;
    this.persisted = this.persisted
      .then(() => this.#announce({ end: eventCount }))
      .catch(this.#persistFailed);
  }

  save(): void {
    const snapshot = { ...this.record, updatedAt: Math.floor(this.#now() / 1000) };
    this.persisted = this.persisted.then(() => this.#store.save(snapshot)).catch(this.#persistFailed);
  }

  /**
   * The run's successful end, stored before anyone sees it: every earlier write, then the terminal
   * event, then the finished record; only then is the event logged here, published and the run
   * finished. Rejects, showing nothing, when any of them could not be stored (an earlier event lost in
   * a storage outage included: a log with a gap must not end in `run.completed`); the caller then
   * ends the run failed instead.
   */
  async conclude(payload: RunsPayload, status: "completed", fields: Pick<RunRecord, "output" | "usage">): Promise<void> {
    await this.persisted;
    if (this.#unstored !== undefined) throw this.#unstored;
    const entry: RunLogEntry = { sequence: this.log.length + 1, payload };
    const now = this.#now();
    const finished: RunRecord = {
      ...this.record,
      ...fields,
      status,
      approval: null,
      eventCount: entry.sequence,
      lastEvent: payload.event,
      updatedAt: Math.floor(now / 1000),
      expiresAt: now + this.#retentionMs,
    };
    await this.#store.append(this.record.id, entry);
    await this.#store.save(finished);
    this.log.push(entry);
    Object.assign(this.record, finished);
    this.persisted = this.persisted.then(() => this.#announce(entry));
    this.#wake();
    const onFinish = this.#onFinish;
    this.#onFinish = undefined;
    onFinish?.();
  }

  /** True once a write did not land: the stored record (and maybe the log) is behind this one. */
  get unstored(): boolean {
    return this.#unstored !== undefined;
  }

  /** Tells followers elsewhere; a lost message is not a lost write (they fill gaps from storage). */
  async #announce(message: RunMessage): Promise<void> {
    await this.#publish?.(message)?.catch((error: unknown) => logger.error("publishing a run event failed:", loggable(error)));
  }

  readonly #persistFailed = (error: unknown): void => {
    this.#unstored ??= error;
    logger.error("saving a run failed:", loggable(error));
  };

  #wake(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}
