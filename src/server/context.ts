import type { H3Event } from "h3";
import type { HermesConfig } from "../config/schema.ts";
import type { JobService } from "../jobs/service.ts";
import type { Observability } from "../observability/setup.ts";
import type { PluginRegistry } from "../plugins/registry.ts";
import type { StorageCoordination } from "../protocol/index.ts";
import type { ConversationStore } from "../state/conversations.ts";
import type { IdempotencyStore } from "../state/idempotency.ts";
import type { ResponseStore } from "../state/responses.ts";
import type { SessionStore } from "../state/sessions.ts";
import type { Upstream } from "../upstream/types.ts";
import type { BackgroundRuns } from "./background.ts";
import type { CommandBus } from "./commands.ts";
import type { RunManager } from "./runs/manager.ts";
import { watchClient } from "./client-gone.ts";

/** Everything a route needs, built once at start: no per-request config or plugin resolution. */
export interface ServerContext {
  config: HermesConfig;
  upstream: Upstream;
  /** The plugins' tools and hooks, built once at start. */
  registry: PluginRegistry;
  /** Runs API runs: detached from requests, logged in storage. */
  runs: RunManager;
  sessions: SessionStore;
  idempotency: IdempotencyStore;
  responses: ResponseStore;
  conversations: ConversationStore;
  /** Background responses running in this process. */
  background: BackgroundRuns;
  /** Storage driver name for `/health/detailed`. */
  storageKind: string;
  /** The storage's coordination: `shared` when several processes on it behave as one (Redis). */
  coordination: StorageCoordination;
  /** Commands to and from the other processes on the storage (this process's id is `commands.instanceId`). */
  commands: CommandBus;
  version: string;
  startedAt: number;
  lifecycle: Lifecycle;
  /** Scheduled jobs (`/api/jobs`) and their scheduler; absent when `jobs.enabled` is off. */
  jobs?: JobService | undefined;
  /** Metrics, the request tracker and request context; absent, nothing is observed. */
  observability?: Observability | undefined;
}

/**
 * In-flight bookkeeping for `/health/detailed` and graceful shutdown. Every run gets its own abort
 * controller, aborted when its client goes away or when the drain wait runs out; a run aborted that
 * way ends in `run.failed`, so its stream still closes with the format's error frame.
 */
export class Lifecycle {
  requestsInFlight = 0;
  draining = false;
  readonly #runs = new Set<AbortController>();
  readonly #idle = new Set<() => void>();
  /** Work that shutdown waits for but cannot stop (`hold`). */
  #held = 0;

  /**
   * A signal for one run: aborted by the client's disconnect (given as the request's event, or a
   * signal) or by shutdown. Call `release` when the run is over. Pass the event rather than
   * `event.req.signal`: the run's controller is then the only one the request builds.
   */
  runSignal(client: H3Event | AbortSignal | undefined): { signal: AbortSignal; release: () => void } {
    const controller = new AbortController();
    const unwatch = client === undefined ? undefined : watchClient(client, (reason) => controller.abort(reason));
    this.#runs.add(controller);
    return {
      signal: controller.signal,
      release: () => {
        unwatch?.();
        if (this.#runs.delete(controller)) this.#notifyIfIdle();
      },
    };
  }

  /**
   * Keeps shutdown waiting for work that has nothing to abort, such as a write after the answer went
   * out; cheaper than `runSignal(undefined)`, which builds a controller. Call `release` once, when done.
   */
  hold(): { release: () => void } {
    this.#held++;
    let released = false;
    return {
      release: () => {
        if (released) return;
        released = true;
        this.#held--;
        this.#notifyIfIdle();
      },
    };
  }

  requestStarted(): void {
    this.requestsInFlight++;
  }

  requestFinished(): void {
    this.requestsInFlight--;
    this.#notifyIfIdle();
  }

  get busy(): boolean {
    return this.requestsInFlight > 0 || this.#runs.size > 0 || this.#held > 0;
  }

  /** Refuse new work, wait up to `timeoutMs` for what is running, then abort the rest with `reason`. */
  async drain(timeoutMs: number, reason: unknown): Promise<void> {
    this.draining = true;
    await this.#waitIdle(timeoutMs);
    for (const controller of this.#runs) controller.abort(reason);
    // Aborted runs still write their terminal frames; give them a moment to flush.
    await this.#waitIdle(1_000);
  }

  async #waitIdle(timeoutMs: number): Promise<void> {
    if (!this.busy) return;
    let timer: NodeJS.Timeout | undefined;
    await new Promise<void>((resolve) => {
      this.#idle.add(resolve);
      timer = setTimeout(resolve, timeoutMs);
    });
    clearTimeout(timer);
  }

  #notifyIfIdle(): void {
    if (this.busy) return;
    for (const resolve of this.#idle) resolve();
    this.#idle.clear();
  }
}
