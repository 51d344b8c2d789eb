import { HermesError } from "../../protocol/index.ts";
import { isFinished, isTerminalPayload, type RunLogEntry, type RunRecord, type RunState, type RunStore } from "../../state/runs.ts";
import { type RunsPayload } from "../../wire/runs/index.ts";
import { ApprovalQueue } from "./approvals.ts";
import { logger } from "../../utils/logger.ts";

/** What a live run publishes for followers on other processes: each stored event, then its end. */
export type RunMessage = RunLogEntry | { end: number };

/** How the writer of a live run ended: all stored, another process settled the run, or it gave up (shutdown while the storage was down). */
export type WriterOutcome = "stored" | "superseded" | "abandoned";

export interface LiveRunOptions {
  now: () => number;
  retentionMs: number;
  /**
   * How long the run's writes may keep failing (the storage is down) before the run fails with
   * `storage_unavailable`; its events wait in memory meanwhile and are written in order once the
   * storage answers again.
   */
  outageLimitMs: number;
  /** Fans events out to other processes (Redis pub/sub); absent when the storage is not shared. */
  publish?: (message: RunMessage) => Promise<unknown>;
  /** Called once when the run reaches its terminal status (it frees its slot in the run limit). */
  onFinish?: () => void;
}

/** Log entries appended per storage round trip. */
const appendBatch = 100;
/** Waits between attempts while the storage fails, the last one repeated. */
const retryDelaysMs = [50, 100, 250, 500, 1_000];
/** After shutdown aborted the run, how long the writer may still try before it gives up. */
const shutdownGraceMs = 1_000;

/**
 * A run this process is executing: its record, its log, its controls, and the one writer that stores
 * them. The writer appends the log in order through the log's atomic counter (positions numbered
 * here, taken only if still free), then saves the record; a follower is given an event only once it
 * is stored, so an event id a client saw means the same everywhere, forever. While the storage fails
 * the writer retries, the events waiting in memory; past `outageLimitMs` the run is failed (and that
 * too is written once the storage answers). If another process sealed the log meanwhile (this one's
 * lease lapsed: it was cut off), the stored log wins: the run stops and its followers read storage.
 */
export class LiveRun {
  readonly record: RunRecord;
  /** Every event logged, stored or not. */
  readonly log: RunLogEntry[] = [];
  /** Entries 1…stored are in storage: the ones followers are given. */
  stored = 0;
  /** Woken when entries are stored, and when the writer is done or superseded. */
  readonly waiters = new Set<() => void>();
  readonly stop = new AbortController();
  readonly approvals = new ApprovalQueue();
  /** No more events will be logged. */
  ended = false;
  /** Another process settled this run: the stored log, not this one, is the run's. */
  superseded = false;
  /** The writer stopped for good: everything is stored, or it was superseded or gave up. */
  done = false;
  readonly #store: RunStore;
  readonly #now: () => number;
  readonly #retentionMs: number;
  readonly #outageLimitMs: number;
  readonly #publish: ((message: RunMessage) => Promise<unknown>) | undefined;
  #onFinish: (() => void) | undefined;
  #dirty = false;
  #endSent = false;
  #writing = false;
  #gaveUp = false;
  /** When the operation the writer keeps failing at was first tried; undefined while writes succeed. */
  #failingSince: number | undefined;
  #outcome: WriterOutcome = "stored";
  readonly #flushed: (() => void)[] = [];

  constructor(record: RunRecord, store: RunStore, options: LiveRunOptions) {
    this.record = record;
    this.#store = store;
    this.#now = options.now;
    this.#retentionMs = options.retentionMs;
    this.#outageLimitMs = options.outageLimitMs;
    this.#publish = options.publish;
    this.#onFinish = options.onFinish;
  }

  /** How the writer ended (meaningful once `done`). */
  get outcome(): WriterOutcome {
    return this.#outcome;
  }

  /** Seconds with milliseconds, as the original server stamps its events. */
  timestamp(): number {
    return this.#now() / 1000;
  }

  /** Appends an event to the log; followers get it once it is stored. */
  emit(payload: RunsPayload): void {
    const entry: RunLogEntry = { sequence: this.log.length + 1, payload };
    this.log.push(entry);
    this.record.eventCount = entry.sequence;
    this.record.lastEvent = payload.event;
    this.record.updatedAt = Math.floor(this.#now() / 1000);
    this.#kick();
  }

  /** A stop wins over every status but the terminal ones; nothing changes a terminal status. */
  setStatus(status: RunState): void {
    const current = this.record.status;
    if (isFinished(current) || (current === "stopping" && !isFinished(status))) return;
    this.record.status = status;
    this.save();
  }

  /** The run's end: retention starts now. */
  finish(status: "completed" | "incomplete" | "requires_action" | "failed" | "cancelled" | "interrupted"): void {
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

  /** No more events: once they are all stored, followers drain the log and end. */
  close(): void {
    this.ended = true;
    this.save();
  }

  /** The record changed: the writer stores it after the events logged so far. */
  save(): void {
    this.#dirty = true;
    this.#kick();
  }

  /**
   * Resolves once the writer is done. After `shutdown` aborts, a writer still failing gets a second
   * more, then gives up (what is not stored by then is lost with the process, and the run stays
   * marked for whoever settles it next).
   */
  flushed(shutdown?: AbortSignal): Promise<void> {
    if (this.done) return Promise.resolve();
    const onAbort = () => {
      setTimeout(() => {
        if (this.done) return;
        this.#gaveUp = true;
        logger.error(`run ${this.record.id}: the storage is unavailable; ${this.log.length - this.stored} of its events were not stored`);
        this.#finishWriting("abandoned");
      }, shutdownGraceMs).unref();
    };
    shutdown?.addEventListener("abort", onAbort, { once: true });
    if (shutdown?.aborted) onAbort();
    return new Promise((resolve) => this.#flushed.push(resolve));
  }

  #kick(): void {
    if (this.#writing || this.done) return;
    this.#writing = true;
    let broken = false;
    void this.#write()
      .catch((error: unknown) => {
        broken = true;
        logger.error(`run ${this.record.id}: its writer failed:`, error);
      })
      .finally(() => {
        this.#writing = false;
        // Work that came while the writer was returning (a kick it did not see) starts it again.
        if (!broken && !this.done && (this.stored < this.log.length || this.#dirty || this.ended)) this.#kick();
      })
      .catch((error: unknown) => logger.error(`run ${this.record.id}: restarting its writer failed:`, error));
  }

  async #write(): Promise<void> {
    let attempt = 0;
    for (;;) {
      if (this.done || this.#gaveUp) return;
      if (this.superseded) return this.#finishWriting("superseded");
      const operation = this.stored < this.log.length ? "append" : this.#dirty ? "save" : this.ended && !this.#endSent ? "end" : undefined;
      if (!operation) {
        if (this.ended) this.#finishWriting("stored");
        return;
      }
      const startedAt = this.#now();
      // A write that hangs counts as failing once it has taken the whole limit; it is not raced by a
      // second attempt (one write at a time keeps the outcome of each unambiguous).
      const watchdog = setTimeout(() => this.#failing(startedAt), Math.max(0, (this.#failingSince ?? startedAt) + this.#outageLimitMs - startedAt) + 5);
      try {
        if (operation === "append") await this.#appendNext();
        else if (operation === "save") await this.#saveRecord();
        else await this.#sendEnd();
        if (this.#failingSince !== undefined) logger.error(`run ${this.record.id}: the storage answers again; its events are stored`);
        this.#failingSince = undefined;
        attempt = 0;
      } catch (error) {
        if (operation === "save") this.#dirty = true;
        if (this.#failingSince === undefined)
          logger.error(`run ${this.record.id}: storing its events failed; retrying, for up to ${this.#outageLimitMs} ms before the run fails:`, error);
        this.#failing(startedAt);
        await new Promise((resolve) => setTimeout(resolve, retryDelaysMs[Math.min(attempt++, retryDelaysMs.length - 1)]).unref());
      } finally {
        clearTimeout(watchdog);
      }
    }
  }

  /** A write first tried at `since` has not succeeded yet: past the limit, the run fails (and that too is written once the storage answers). */
  #failing(since: number): void {
    this.#failingSince ??= since;
    if (this.#now() - this.#failingSince < this.#outageLimitMs || isFinished(this.record.status) || this.stop.signal.aborted) return;
    this.stop.abort(
      new HermesError(`The storage was unavailable for ${Math.round(this.#outageLimitMs / 1000)} s: the run's events could not be stored`, {
        status: 503,
        code: "storage_unavailable",
      }),
    );
  }

  async #appendNext(): Promise<void> {
    const entries = this.log.slice(this.stored, this.stored + appendBatch);
    const first = entries[0]!.sequence;
    const last = entries.at(-1)!.sequence;
    const seal = last === this.log.length && isTerminalPayload(entries.at(-1)!.payload);
    const result = await this.#store.append(this.record.id, entries, { seal });
    // How far the log holds this run's own entries, and whether another process sealed it after them.
    let ours = last;
    let sealedByOther = false;
    if (result.first !== first) {
      // Refused. Only a settling process writes besides this one, and it writes one terminal entry at
      // the length it found, sealing the log; anything else there is this run's own, from an attempt
      // that failed on the way back (the storage went away after applying it) — a prefix of these.
      if (!result.sealed) {
        if (result.length < first - 1) {
          logger.error(
            `run ${this.record.id}: its stored log has ${result.length} events, fewer than the ${this.stored} stored before (was the storage emptied?)`,
          );
          return this.#supersede();
        }
        ours = Math.min(result.length, last);
      } else if (result.length > last) sealedByOther = true;
      else if (result.length === last && seal && (await this.#holds(last))) ours = last;
      else {
        ours = result.length - 1;
        sealedByOther = true;
      }
    }
    if (ours > this.stored) {
      const stored = this.log.slice(this.stored, ours);
      this.stored = ours;
      this.#wake();
      if (this.#publish) await Promise.all(stored.map((entry) => this.#publish!(entry).catch(logPublishError)));
    }
    if (sealedByOther) this.#supersede();
  }

  /** True when the stored entry at `sequence` is this run's own (a settling process may have written its own there). */
  async #holds(sequence: number): Promise<boolean> {
    const [stored] = await this.#store.events(this.record.id, sequence - 1, sequence);
    return stored !== undefined && JSON.stringify(stored.payload) === JSON.stringify(this.log[sequence - 1]!.payload);
  }

  async #saveRecord(): Promise<void> {
    this.#dirty = false;
    const snapshot: RunRecord = { ...this.record, eventCount: this.stored, updatedAt: Math.floor(this.#now() / 1000) };
    const stored = await this.#store.save(snapshot);
    // Settled by another process: its record stays, and so does its log.
    if (stored && isFinished(stored.status) && !isFinished(snapshot.status)) this.#supersede();
  }

  async #sendEnd(): Promise<void> {
    this.#endSent = true;
    await this.#publish?.({ end: this.stored }).catch(logPublishError);
  }

  #supersede(): void {
    if (this.superseded) return;
    this.superseded = true;
    logger.error(`run ${this.record.id}: another process settled it (this one had lost its lease); it stops here`);
    this.stop.abort(
      new HermesError("Another process settled this run: the process running it had stopped renewing its lease", { status: 409, code: "run_abandoned" }),
    );
    this.#wake();
  }

  #finishWriting(outcome: WriterOutcome): void {
    if (this.done) return;
    this.done = true;
    this.#outcome = outcome;
    this.#wake();
    for (const resolve of this.#flushed.splice(0)) resolve();
  }

  #wake(): void {
    for (const wake of this.waiters) wake();
    this.waiters.clear();
  }
}

function logPublishError(error: unknown): void {
  logger.error("publishing a run event failed:", error);
}
