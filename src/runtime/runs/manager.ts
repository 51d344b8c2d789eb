import type { HermesConfig } from "../../config/schema.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import { HermesError, type RunInput } from "../../protocol/index.ts";
import { randomId } from "../../utils/index.ts";
import { type StorageCoordination } from "../../plugin-api/index.ts";
import { channels, pools } from "../../state/keys.ts";
import { type RunLogEntry, type RunRecord, type RunStore, isFinished, type RunState } from "../../state/runs.ts";
import type { UnfinishedMarks } from "../../state/unfinished.ts";
import type { Upstream } from "../../upstream/types.ts";
import { approvalRespondedPayload } from "../../wire/runs/index.ts";
import { type CommandBus, OwnerGoneError } from "../commands.ts";
import type { Lifecycle } from "../lifecycle.ts";
import { executeRun, type RunHooks } from "./execute.ts";
import { followLive, followStored } from "./follow.ts";
import { followShared } from "./follow-shared.ts";
import { LiveRun } from "./live-run.ts";
import { settleAbandoned } from "./settle.ts";
import { logger } from "../../utils/logger.ts";

export interface RunManagerOptions {
  config: HermesConfig;
  upstream: Upstream;
  registry: PluginRegistry;
  store: RunStore;
  lifecycle: Lifecycle;
  coordination: StorageCoordination;
  commands: CommandBus;
  /** On fs and SQLite: live runs are marked, so the next start settles those a crash cut off. */
  unfinished?: UnfinishedMarks;
  now?: () => number;
}

export interface RunStartSettings {
  sessionId: string | undefined;
  model: string;
  requestId?: string | undefined;
  /** `X-Hermes-Session-Key`: kept on the record, handed to the run's tools and hooks. */
  sessionKey?: string | undefined;
  /** Called once the run has ended and everything is stored, with its final record (status, output, usage, error). */
  onEnd?: (record: RunRecord) => void;
  /** Recorders and followers in this process: see `RunHooks`. */
  hooks?: RunHooks;
  /** The job fire that starts it: kept on the record, so whoever settles the run can record the fire's end. */
  jobFire?: { jobId: string; sequence: number };
}

/** A live run's slot in the shared run limit lasts this long unless renewed (a dead process frees it by then). */
const slotLeaseMs = 60_000;
/** Lapsed leases taken over per sweep. */
const sweepBatch = 50;

/**
 * The Runs API's engine. Runs are detached: a run belongs to no request, so a client that goes away
 * stops nothing; only `stop` and server shutdown do. Every event is logged (in memory while the run
 * lives here, in storage for everyone and for `runRetentionMs` after the end) so that any number of
 * followers can read it from any point. On a shared storage (Redis) the run limit is one pool for all
 * processes, events reach other processes' followers over pub/sub, and stop and approval requests made
 * on another process are sent to the one running the run.
 *
 * A run dies with its process only for a while: on Redis each live run holds a lease (`agent.runLeaseMs`)
 * its process renews every third of it, and every process sweeps the lapsed leases as often, so a run
 * whose process was killed is settled as `failed` (`run_abandoned`) by another within 4/3 of the lease,
 * its followers everywhere told. On fs and SQLite (one process) the next start settles what a crash
 * left live.
 */
export class RunManager {
  readonly #options: RunManagerOptions;
  readonly #live = new Map<string, LiveRun>();
  readonly #now: () => number;
  readonly #leaseMs: number;
  readonly #abandoned = new Set<(record: RunRecord) => void>();
  #renewal: NodeJS.Timeout | undefined;
  #sweeper: NodeJS.Timeout | undefined;
  #sweeping: Promise<void> | undefined;

  constructor(options: RunManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    this.#leaseMs = options.config.agent.runLeaseMs;
    options.commands.handle("runs.stop", ({ runId }) => this.stop(runId));
    options.commands.handle("runs.approval", ({ runId, choice, all }) => this.respond(runId, choice, all));
    if (options.coordination.shared) {
      // `sweep` handles its own failures (it logs them); the catch only satisfies the no-dropped-promise rule.
      this.#sweeper = setInterval(() => this.sweep().catch(() => undefined), this.#leaseMs / 3);
      this.#sweeper.unref();
    }
  }

  /**
   * Calls `listener` with each run this process settled for a process that died, or found finished
   * under a lapsed lease (its process died before cleaning up): the jobs record their fires' ends.
   */
  onAbandoned(listener: (record: RunRecord) => void): () => void {
    this.#abandoned.add(listener);
    return () => this.#abandoned.delete(listener);
  }

  /** Stops the lease renewal and the sweep (at shutdown, after the drain). */
  close(): void {
    clearInterval(this.#sweeper);
    clearInterval(this.#renewal);
    this.#sweeper = undefined;
    this.#renewal = undefined;
  }

  /** Runs of this process that have not reached a terminal status. */
  get active(): number {
    let count = 0;
    for (const live of this.#live.values()) if (!isFinished(live.record.status)) count++;
    return count;
  }

  /**
   * Creates a run and starts it in the background; resolves once its record is stored.
   * @throws {HermesError} 429 `rate_limit_exceeded` over `agent.maxConcurrentRuns` (counted across processes on a shared storage).
   */
  async start(input: RunInput, settings: RunStartSettings): Promise<RunRecord> {
    const { config, store, coordination, commands } = this.#options;
    const { maxConcurrentRuns, runRetentionMs } = config.agent;
    const id = randomId("run_");
    if (this.active >= maxConcurrentRuns || !(await coordination.acquire(pools.runs, id, maxConcurrentRuns, slotLeaseMs)))
      throw new HermesError(`Too many concurrent runs (max ${maxConcurrentRuns})`, {
        status: 429,
        code: "rate_limit_exceeded",
        headers: { "retry-after": "1" },
      });
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
      owner: commands.instanceId,
      ...(settings.requestId !== undefined && { requestId: settings.requestId }),
      ...(settings.sessionKey !== undefined && { sessionKey: settings.sessionKey }),
      ...(settings.jobFire !== undefined && { jobFire: settings.jobFire }),
    };
    const release = () => {
      coordination.release(pools.runs, id).catch((error: unknown) => logger.error("releasing a run slot failed:", error));
    };
    try {
      // The lease and the mark come first: a run stored without them could outlive its process unseen.
      if (coordination.shared) await coordination.hold(pools.runLeases, [id], this.#leaseMs);
      await this.#options.unfinished?.mark("runs", id);
      await store.save(record);
    } catch (error) {
      release();
      // `#forget` logs its own failures.
      this.#forget(id).catch(() => undefined);
      logger.error("storing a new run failed:", error);
      throw new HermesError("The run could not be stored: the storage is unavailable", {
        status: 503,
        code: "storage_unavailable",
        headers: { "retry-after": "1" },
      });
    }
    const publish = coordination.shared ? (message: unknown) => coordination.publish(channels.run(id), JSON.stringify(message)) : undefined;
    const live = new LiveRun(record, store, {
      now: this.#now,
      retentionMs: runRetentionMs,
      outageLimitMs: this.#leaseMs,
      onFinish: release,
      ...(publish && { publish }),
    });
    this.#live.set(id, live);
    this.#keepLeases();
    const snapshot = { ...record };
    executeRun(live, input, this.#options, settings.hooks)
      .catch((error: unknown) => logger.error("run failed:", error))
      .finally(() => {
        this.#live.delete(id);
        // Normally released at the terminal status already; this covers a run that never got one.
        release();
        // A run whose writes gave up (shutdown while the storage was down) keeps its lease and mark:
        // another process, or the next start, settles it.
        if (live.outcome !== "abandoned") this.#forget(id).catch(() => undefined);
        try {
          settings.onEnd?.({ ...live.record });
        } catch (error) {
          logger.error("a run's end listener failed:", error);
        }
      })
      .catch((error: unknown) => logger.error("cleaning up after a run failed:", error));
    return snapshot;
  }

  /** The run's record: from memory while it lives here, else from storage; null when unknown or expired. */
  async get(id: string): Promise<RunRecord | null> {
    return this.#live.get(id)?.record ?? (await this.#options.store.get(id));
  }

  /** The run's log after `afterSequence`, then its live events until the end; null when the run is unknown. */
  async follow(id: string, afterSequence: number): Promise<AsyncIterator<RunLogEntry> | null> {
    const { store, coordination } = this.#options;
    const live = this.#live.get(id);
    if (live) return followLive(live, afterSequence, store);
    const record = await store.get(id);
    if (!record) return null;
    // Without a shared bus, a run another process executes can only be read back from storage.
    if (!coordination.shared || isFinished(record.status)) return followStored(store, id, afterSequence);
    return followShared(store, coordination, id, afterSequence);
  }

  /** Asks the run to stop; it settles as `cancelled`. A finished run answers with its status. */
  async stop(id: string): Promise<{ run_id: string; status: RunState }> {
    const live = this.#live.get(id);
    if (!live) return (await this.#remote(id, { type: "runs.stop", runId: id })) as { run_id: string; status: RunState };
    if (isFinished(live.record.status)) return { run_id: id, status: live.record.status };
    live.setStatus("stopping");
    live.stop.abort(new HermesError("The run was stopped", { status: 499, code: "cancelled" }));
    return { run_id: id, status: "stopping" };
  }

  /** Answers the oldest pending approval (or all of them). */
  async respond(id: string, choice: "once" | "deny", all: boolean) {
    const live = this.#live.get(id);
    if (!live) return this.#remote(id, { type: "runs.approval", runId: id, choice, all });
    if (live.ended) throw new HermesError("This run is not waiting for approval", { status: 409, code: "approval_not_active" });
    const answered = live.approvals.take(all);
    if (answered.length === 0) throw new HermesError("No approval is pending for this run", { status: 409, code: "approval_not_pending" });
    const requestIds = answered.map((pending) => pending.requestId);
    live.emit(approvalRespondedPayload(id, live.timestamp(), choice, requestIds));
    for (const pending of answered) pending.resolve(choice);
    live.approvalsChanged();
    return { object: "hermes.run.approval_response" as const, run_id: id, choice, resolved: answered.length };
  }

  /**
   * A stop or approval for a run not live here: 404 when unknown; a finished run answers with its
   * status (stop) or 409 (approval); on a shared storage the request goes to the run's process, and a
   * run whose process is gone is settled as failed. Without a shared bus: 409 `run_not_active`.
   */
  async #remote(id: string, command: Parameters<CommandBus["send"]>[1]): Promise<unknown> {
    const { store, coordination, commands } = this.#options;
    const record = await store.get(id);
    if (!record) throw new HermesError(`Run not found: ${id}`, { status: 404, code: "run_not_found", param: "run_id" });
    const finished = (status: RunState) => {
      if (command.type === "runs.stop") return { run_id: id, status };
      throw new HermesError("This run is not waiting for approval", { status: 409, code: "approval_not_active" });
    };
    if (isFinished(record.status)) return finished(record.status);
    if (!coordination.shared || !record.owner || record.owner === commands.instanceId)
      throw new HermesError("This run is not running in this process", { status: 409, code: "run_not_active" });
    try {
      return await commands.send(record.owner, command);
    } catch (error) {
      if (!(error instanceof OwnerGoneError)) throw error;
      return finished((await this.#settle(id))?.status ?? "failed");
    }
  }

  /**
   * Settles the runs whose leases lapsed (their process stopped renewing them: it died, or lost the
   * storage for longer than the lease). Each lapsed lease goes to one sweeping process, which holds it
   * while it settles the run; one that fails lapses again for the next sweep. Resolves when done.
   */
  sweep(): Promise<void> {
    return (this.#sweeping ??= this.#sweepOnce()
      .catch((error: unknown) => logger.error("sweeping lapsed run leases failed:", error))
      .finally(() => (this.#sweeping = undefined)));
  }

  async #sweepOnce(): Promise<void> {
    const { coordination } = this.#options;
    for (const id of await coordination.reclaim(pools.runLeases, this.#leaseMs, sweepBatch)) {
      // Its own run, whose renewal came late (a stalled event loop, a storage blip): held again.
      if (this.#live.has(id)) {
        await coordination.hold(pools.runLeases, [id], this.#leaseMs);
        continue;
      }
      try {
        await this.#settle(id);
      } catch (error) {
        logger.error(`settling run ${id}, whose process stopped, failed (the next sweep tries again):`, error);
      }
    }
  }

  /**
   * At start, on fs or SQLite: the runs a crash left live (still marked) are settled as `failed`
   * (`run_abandoned`), before the server takes requests, so that their status, stop and followers
   * answer at once. Resolves with how many were settled.
   */
  async recover(): Promise<number> {
    const { unfinished } = this.#options;
    if (!unfinished?.enabled) return 0;
    let settled = 0;
    for (const id of await unfinished.list("runs")) {
      if (this.#live.has(id)) continue;
      const record = await this.#options.store.get(id);
      if (record && !isFinished(record.status)) {
        await this.#settle(id);
        settled++;
      } else await unfinished.unmark("runs", id);
    }
    if (settled > 0) logger.error(`settled ${settled} run(s) left unfinished by the previous process as failed (run_abandoned)`);
    return settled;
  }

  /**
   * Ends a run whose process is gone (see `settleAbandoned`), tells its followers everywhere, frees its
   * slot, lease and mark, and tells the `onAbandoned` listeners. A run already finished is left as it is.
   */
  async #settle(id: string): Promise<RunRecord | null> {
    const { store, coordination, config } = this.#options;
    const before = await store.get(id);
    const settled = before && !isFinished(before.status) ? await settleAbandoned(store, id, this.#now, config.agent.runRetentionMs) : before;
    if (settled && isFinished(settled.status)) {
      // Its end, for followers elsewhere (also for a run that had finished: its process may have died
      // before it published the end), and its job fire, if any, ends with it (one recorded stays).
      await coordination.publish(channels.run(id), JSON.stringify({ end: settled.eventCount }));
      for (const listener of this.#abandoned) {
        try {
          listener(settled);
        } catch (error) {
          logger.error("a settled run's listener failed:", error);
        }
      }
    }
    await coordination.release(pools.runs, id);
    await this.#forget(id);
    return settled;
  }

  /** Frees a run's lease and mark: it needs no one to settle it. */
  async #forget(id: string): Promise<void> {
    const { coordination, unfinished } = this.#options;
    await Promise.all([coordination.shared ? coordination.release(pools.runLeases, id) : undefined, unfinished?.unmark("runs", id)]).catch((error: unknown) =>
      logger.error(`releasing run ${id}'s lease failed:`, error),
    );
  }

  /**
   * Renews this process's run slots and leases while it has live runs, every third of the lease: the
   * shared limit never counts a dead process for long, and a live run's lease never lapses.
   */
  #keepLeases(): void {
    if (this.#renewal) return;
    const { coordination } = this.#options;
    this.#renewal = setInterval(
      () => {
        const ids = [...this.#live.keys()];
        if (ids.length === 0) {
          clearInterval(this.#renewal);
          this.#renewal = undefined;
          return;
        }
        const renewals = [
          coordination.renew(pools.runs, ids, slotLeaseMs),
          coordination.shared ? coordination.renew(pools.runLeases, ids, this.#leaseMs) : undefined,
        ];
        Promise.all(renewals).catch((error: unknown) => logger.error("renewing run leases failed:", error));
      },
      Math.min(this.#leaseMs, slotLeaseMs) / 3,
    );
    this.#renewal.unref();
  }
}
