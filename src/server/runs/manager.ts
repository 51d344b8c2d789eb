import { approvalChoices } from "../../agent/approval.ts";
import { runAgent } from "../../agent/loop.ts";
import type { HermesConfig } from "../../config/schema.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import { HermesError, randomId, type RunInput } from "../../protocol/index.ts";
import type { RunLogEntry, RunRecord, RunStore } from "../../state/runs.ts";
import type { Upstream } from "../../upstream/types.ts";
import {
  approvalRequestPayload,
  approvalRespondedPayload,
  cancelledPayload,
  isFinished,
  type RunsPayload,
  RunsEventEncoder,
  type RunState,
} from "../../wire/runs/index.ts";
import type { Lifecycle } from "../context.ts";
import { ApprovalQueue } from "./approvals.ts";
import { followLive, followStored } from "./follow.ts";

export interface RunManagerOptions {
  config: HermesConfig;
  upstream: Upstream;
  registry: PluginRegistry;
  store: RunStore;
  lifecycle: Lifecycle;
  now?: () => number;
}

/** A run this process is executing: its record, its log in memory for live subscribers, its controls. */
export interface LiveRun {
  record: RunRecord;
  log: RunLogEntry[];
  /** Woken on every new entry and at the end. */
  waiters: Set<() => void>;
  ended: boolean;
  stop: AbortController;
  approvals: ApprovalQueue;
  /** Storage writes in the order they were made: the log never lands out of order. */
  persisted: Promise<void>;
}

/** How often a sweep of expired runs may start, at most. */
const sweepEveryMs = 60_000;

/**
 * The Runs API's engine. Runs are detached: a run belongs to no request, so a client that goes away
 * stops nothing; only `stop` and server shutdown do. Every event is logged (in memory while the run
 * lives here, in storage for everyone and for `runRetentionMs` after the end) so that any number of
 * subscribers can read it from any point.
 */
export class RunManager {
  readonly #options: RunManagerOptions;
  readonly #live = new Map<string, LiveRun>();
  readonly #now: () => number;
  #lastSweep = 0;

  constructor(options: RunManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
  }

  /** Runs of this process that have not ended. */
  get active(): number {
    let count = 0;
    for (const live of this.#live.values()) if (!live.ended) count++;
    return count;
  }

  /**
   * Creates a run and starts it in the background; resolves once its record is stored.
   * @throws {HermesError} 429 `rate_limit_exceeded` over `agent.maxConcurrentRuns`.
   */
  async start(input: RunInput, settings: { sessionId: string | undefined; model: string }): Promise<RunRecord> {
    const { maxConcurrentRuns } = this.#options.config.agent;
    if (this.active >= maxConcurrentRuns)
      throw new HermesError(`Too many concurrent runs (max ${maxConcurrentRuns})`, { status: 429, code: "rate_limit_exceeded", headers: { "retry-after": "1" } });
    this.#maybeSweep();
    const id = randomId("run_");
    const seconds = Math.floor(this.#now() / 1000);
    const record: RunRecord = {
      id,
      status: "queued",
      createdAt: seconds,
      updatedAt: seconds,
      sessionId: settings.sessionId ?? id,
      model: settings.model,
      lastEvent: null,
      output: null,
      usage: null,
      error: null,
      approval: null,
      eventCount: 0,
      expiresAt: null,
    };
    const live: LiveRun = {
      record,
      log: [],
      waiters: new Set(),
      ended: false,
      stop: new AbortController(),
      approvals: new ApprovalQueue(),
      persisted: Promise.resolve(),
    };
    this.#live.set(id, live);
    const snapshot = { ...record };
    this.#save(live);
    await live.persisted;
    void this.#execute(live, input);
    return snapshot;
  }

  /** The run's record: from memory while it lives here, else from storage; null when unknown or expired. */
  async get(id: string): Promise<RunRecord | null> {
    return this.#live.get(id)?.record ?? (await this.#options.store.get(id));
  }

  /** The run's log after `afterSequence`, then its live events until the end; null when the run is unknown. */
  async follow(id: string, afterSequence: number): Promise<AsyncIterator<RunLogEntry> | null> {
    const live = this.#live.get(id);
    if (live) return followLive(live, afterSequence);
    const record = await this.#options.store.get(id);
    return record ? followStored(this.#options.store, id, afterSequence) : null;
  }

  /** Asks the run to stop; it settles as `cancelled`. A finished run answers with its status. */
  async stop(id: string): Promise<{ run_id: string; status: RunState }> {
    const live = this.#live.get(id);
    if (!live) return { run_id: id, status: (await this.#settled(id)).status };
    if (isFinished(live.record.status)) return { run_id: id, status: live.record.status };
    this.#setStatus(live, "stopping");
    live.stop.abort(new HermesError("The run was stopped", { status: 499, code: "cancelled" }));
    return { run_id: id, status: "stopping" };
  }

  /** Answers the oldest pending approval (or all of them). */
  async respond(id: string, choice: "once" | "deny", all: boolean) {
    const live = this.#live.get(id);
    if (!live || live.ended) {
      await this.#settled(id);
      throw new HermesError("This run is not waiting for approval", { status: 409, code: "approval_not_active" });
    }
    const answered = live.approvals.take(all);
    if (answered.length === 0) throw new HermesError("No approval is pending for this run", { status: 409, code: "approval_not_pending" });
    const requestIds = answered.map((pending) => pending.requestId);
    this.#emit(live, approvalRespondedPayload(live.record.id, this.#now() / 1000, choice, requestIds));
    for (const pending of answered) pending.resolve(choice);
    this.#afterApprovalChange(live);
    return { object: "hermes.run.approval_response" as const, run_id: id, choice, resolved: answered.length };
  }

  /** A run that is not live here: 404 when unknown, 409 when another process runs it. */
  async #settled(id: string): Promise<RunRecord> {
    const record = await this.#options.store.get(id);
    if (!record) throw new HermesError(`Run not found: ${id}`, { status: 404, code: "run_not_found", param: "run_id" });
    if (!isFinished(record.status)) throw new HermesError("This run is not running in this process", { status: 409, code: "run_not_active" });
    return record;
  }

  async #execute(live: LiveRun, input: RunInput): Promise<void> {
    const { config, upstream, registry, lifecycle } = this.#options;
    const { record } = live;
    const shutdown = lifecycle.runSignal(undefined);
    const signal = AbortSignal.any([live.stop.signal, shutdown.signal]);
    try {
      if (signal.aborted) {
        this.#emit(live, cancelledPayload(record.id, this.#now() / 1000));
        this.#finish(live, "cancelled");
        return;
      }
      this.#setStatus(live, "running");
      const encoder = new RunsEventEncoder(record.id);
      const events = runAgent(input, {
        upstream,
        runId: record.id,
        model: record.model,
        createdAt: record.createdAt,
        signal,
        maxIterations: config.agent.maxIterations,
        registry,
        sessionId: record.sessionId,
        toolTimeoutMs: config.agent.toolTimeoutMs,
        approve: (request) => {
          const payload = approvalRequestPayload(record.id, this.#now() / 1000, request, approvalChoices);
          return live.approvals.ask(payload, request.callId, signal, () => {
            this.#emit(live, payload);
            this.#afterApprovalChange(live);
          });
        },
      });
      for await (const event of events) {
        if (event.type === "run.completed") {
          record.output = encoder.output;
          record.usage = event.usage;
        } else if (event.type === "run.failed") {
          record.usage = event.usage ?? null;
        }
        const payload = encoder.encode(event, this.#now() / 1000);
        // The terminal event lands in the log before the terminal record: a reader that sees the run
        // finished in storage finds its whole log there.
        if (payload) this.#emit(live, payload);
        if (event.type === "run.completed") this.#finish(live, "completed");
        else if (event.type === "run.failed") {
          if (event.error.code === "cancelled") this.#finish(live, "cancelled");
          else {
            record.error = { message: event.error.message, code: event.error.code };
            this.#finish(live, "failed");
          }
        }
      }
    } catch (error) {
      // The agent loop ends every run in a terminal event; this only guards against a bug in it.
      console.error("[hermes-proxy] run failed:", error);
      if (!isFinished(record.status)) {
        record.error = { message: "Internal server error", code: "internal_error" };
        this.#emit(live, { event: "run.failed", run_id: record.id, timestamp: this.#now() / 1000, error: "Internal server error", code: "internal_error" });
        this.#finish(live, "failed");
      }
    } finally {
      shutdown.release();
      live.ended = true;
      this.#wake(live);
      this.#save(live);
      await live.persisted;
      this.#live.delete(record.id);
    }
  }

  #finish(live: LiveRun, status: "completed" | "failed" | "cancelled"): void {
    live.record.approval = null;
    live.record.expiresAt = this.#now() + this.#options.config.agent.runRetentionMs;
    this.#setStatus(live, status);
  }

  #afterApprovalChange(live: LiveRun): void {
    live.record.approval = live.approvals.oldestPayload();
    this.#setStatus(live, live.record.approval ? "waiting_for_approval" : "running");
  }

  /** A stop wins over every status but the terminal ones. */
  #setStatus(live: LiveRun, status: RunState): void {
    if (live.record.status === status) return this.#save(live);
    if (live.record.status === "stopping" && !isFinished(status)) return;
    if (isFinished(live.record.status)) return;
    live.record.status = status;
    this.#save(live);
  }

  #emit(live: LiveRun, payload: RunsPayload): void {
    const entry: RunLogEntry = { sequence: live.log.length + 1, payload };
    live.log.push(entry);
    live.record.eventCount = entry.sequence;
    live.record.lastEvent = payload.event;
    live.record.updatedAt = Math.floor(this.#now() / 1000);
    const { store } = this.#options;
    live.persisted = live.persisted.then(() => store.append(live.record.id, entry)).catch(logPersistError);
    this.#wake(live);
  }

  #save(live: LiveRun): void {
    const snapshot = { ...live.record, updatedAt: Math.floor(this.#now() / 1000) };
    const { store } = this.#options;
    live.persisted = live.persisted.then(() => store.save(snapshot)).catch(logPersistError);
  }

  #wake(live: LiveRun): void {
    for (const wake of live.waiters) wake();
    live.waiters.clear();
  }

  #maybeSweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < sweepEveryMs) return;
    this.#lastSweep = now;
    this.#options.store.sweep().catch((error: unknown) => console.error("[hermes-proxy] sweeping expired runs failed:", error));
  }
}

function logPersistError(error: unknown): void {
  console.error("[hermes-proxy] saving a run failed:", error);
}
