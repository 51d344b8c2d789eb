import type { HermesConfig } from "../../config/schema.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import { HermesError, randomId, type RunInput } from "../../protocol/index.ts";
import type { RunLogEntry, RunRecord, RunStore } from "../../state/runs.ts";
import type { Upstream } from "../../upstream/types.ts";
import { approvalRespondedPayload, isFinished, type RunState } from "../../wire/runs/index.ts";
import type { Lifecycle } from "../context.ts";
import { executeRun } from "./execute.ts";
import { followLive, followStored } from "./follow.ts";
import { LiveRun } from "./live-run.ts";

export interface RunManagerOptions {
  config: HermesConfig;
  upstream: Upstream;
  registry: PluginRegistry;
  store: RunStore;
  lifecycle: Lifecycle;
  now?: () => number;
}

/** How often a sweep of expired runs may start, at most. */
const sweepEveryMs = 60_000;

/**
 * The Runs API's engine. Runs are detached: a run belongs to no request, so a client that goes away
 * stops nothing; only `stop` and server shutdown do. Every event is logged (in memory while the run
 * lives here, in storage for everyone and for `runRetentionMs` after the end) so that any number of
 * followers can read it from any point, on this process or another sharing the storage.
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
    const { config, store } = this.#options;
    const { maxConcurrentRuns, runRetentionMs } = config.agent;
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
    const live = new LiveRun(record, store, { now: this.#now, retentionMs: runRetentionMs });
    this.#live.set(id, live);
    const snapshot = { ...record };
    live.save();
    await live.persisted;
    void executeRun(live, input, this.#options)
      .catch((error: unknown) => console.error("[hermes-proxy] run failed:", error))
      .finally(() => this.#live.delete(id));
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
    live.setStatus("stopping");
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
    live.emit(approvalRespondedPayload(id, live.timestamp(), choice, requestIds));
    for (const pending of answered) pending.resolve(choice);
    live.approvalsChanged();
    return { object: "hermes.run.approval_response" as const, run_id: id, choice, resolved: answered.length };
  }

  /** A run that is not live here: 404 when unknown, 409 when another process runs it. */
  async #settled(id: string): Promise<RunRecord> {
    const record = await this.#options.store.get(id);
    if (!record) throw new HermesError(`Run not found: ${id}`, { status: 404, code: "run_not_found", param: "run_id" });
    if (!isFinished(record.status)) throw new HermesError("This run is not running in this process", { status: 409, code: "run_not_active" });
    return record;
  }

  #maybeSweep(): void {
    const now = this.#now();
    if (now - this.#lastSweep < sweepEveryMs) return;
    this.#lastSweep = now;
    this.#options.store.sweep().catch((error: unknown) => console.error("[hermes-proxy] sweeping expired runs failed:", error));
  }
}
