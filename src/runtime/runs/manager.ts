import type { HermesConfig } from "../../config/schema.ts";
import type { PluginRegistry } from "../../plugins/registry.ts";
import { HermesError, type RunInput } from "../../protocol/index.ts";
import { randomId } from "../../utils/index.ts";
import { type StorageCoordination } from "../../plugin-api/index.ts";
import { channels, pools } from "../../state/keys.ts";
import { type RunLogEntry, type RunRecord, type RunStore, isFinished, type RunState } from "../../state/runs.ts";
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
  now?: () => number;
  /** Retries a write once the storage is back (`StorageHealth.whenBack`). */
  settleLater?: (label: string, task: () => Promise<void>) => void;
}

export interface RunStartSettings {
  sessionId: string | undefined;
  model: string;
  requestId?: string | undefined;
  /** Called once the run has ended and everything is stored, with its final record (status, output, usage, error). */
  onEnd?: (record: RunRecord) => void;
  /** Recorders and followers in this process: see `RunHooks`. */
  hooks?: RunHooks;
}

/** A live run's slot in the shared run limit lasts this long unless renewed (a dead process frees it by then). */
const slotLeaseMs = 60_000;

/**
 * The Runs API's engine. Runs are detached: a run belongs to no request, so a client that goes away
 * stops nothing; only `stop` and server shutdown do. Every event is logged (in memory while the run
 * lives here, in storage for everyone and for `runRetentionMs` after the end) so that any number of
 * followers can read it from any point. On a shared storage (Redis) the run limit is one pool for all
 * processes, events reach other processes' followers over pub/sub, and stop and approval requests made
 * on another process are sent to the one running the run.
 */
export class RunManager {
  readonly #options: RunManagerOptions;
  readonly #live = new Map<string, LiveRun>();
  readonly #now: () => number;
  #renewal: NodeJS.Timeout | undefined;

  constructor(options: RunManagerOptions) {
    this.#options = options;
    this.#now = options.now ?? Date.now;
    options.commands.handle("runs.stop", ({ runId }) => this.stop(runId));
    options.commands.handle("runs.approval", ({ runId, choice, all }) => this.respond(runId, choice, all));
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
      throw new HermesError(`Too many concurrent runs (max ${maxConcurrentRuns})`, { status: 429, code: "rate_limit_exceeded", headers: { "retry-after": "1" } });
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
    };
    const publish = coordination.shared ? (message: unknown) => coordination.publish(channels.run(id), JSON.stringify(message)) : undefined;
    const release = () => {
      coordination.release(pools.runs, id).catch((error: unknown) => logger.error("releasing a run slot failed:", error));
    };
    const live = new LiveRun(record, store, { now: this.#now, retentionMs: runRetentionMs, onFinish: release, ...(publish && { publish }) });
    this.#live.set(id, live);
    this.#keepSlots();
    const snapshot = { ...record };
    try {
      // Stored before the client is told the run exists (its 202 names it).
      await store.save(snapshot);
    } catch (error) {
      this.#live.delete(id);
      release();
      throw error;
    }
    executeRun(live, input, this.#options, settings.hooks)
      .catch((error: unknown) => logger.error("run failed:", error))
      .then(() => {
        this.#live.delete(id);
        // Its end did not reach the storage (an outage): the record says how it ended once the storage is
        // back, rather than `running` until someone notices. (The events lost meanwhile stay lost.)
        if (live.unstored) {
          const ended = { ...live.record };
          this.#options.settleLater?.(`storing the end of run ${id}`, () => store.save(ended));
        }
        // Normally released at the terminal status already; this covers a run that never got one.
        release();
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
    if (live) return followLive(live, afterSequence);
    const record = await store.get(id);
    if (!record) return null;
    // Without a shared bus, a run another process executes can only be read back from storage.
    if (!coordination.shared || isFinished(record.status)) return followStored(store, id, afterSequence);
    return followShared(store, coordination, id, afterSequence, (abandoned) => this.#settle(abandoned));
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
      return finished((await this.#settle(record)).status);
    }
  }

  /** Ends a run whose process is gone, and tells its followers elsewhere. */
  async #settle(record: RunRecord): Promise<RunRecord> {
    const { store, coordination, config } = this.#options;
    const settled = await settleAbandoned(store, record, this.#now, config.agent.runRetentionMs);
    await coordination.publish(channels.run(record.id), JSON.stringify({ end: settled.eventCount }));
    return settled;
  }

  /** Renews this process's run slots while it has live runs, so the shared limit never counts a dead process for long. */
  #keepSlots(): void {
    if (this.#renewal) return;
    this.#renewal = setInterval(() => {
      const ids = [...this.#live.keys()];
      if (ids.length === 0) {
        clearInterval(this.#renewal);
        this.#renewal = undefined;
        return;
      }
      this.#options.coordination.renew(pools.runs, ids, slotLeaseMs).catch((error: unknown) => logger.error("renewing run slots failed:", error));
    }, slotLeaseMs / 3);
    this.#renewal.unref();
  }
}
