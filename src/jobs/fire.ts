import type { HermesConfig } from "../config/schema.ts";
import { type RunInput, toErrorInfo } from "../protocol/index.ts";
import { chooseModel } from "../runtime/model.ts";
import type { RunManager } from "../runtime/runs/manager.ts";
import { recordRunOnSession } from "../runtime/runs/run-session.ts";
import { isFinished, type RunRecord } from "../state/runs.ts";
import type { SessionStore } from "../state/sessions.ts";
import type { Upstream } from "../upstream/types.ts";
import { type FireStatus, fireOutputChars, isFireFinished, type JobFire, type JobRecord, summarize } from "./record.ts";
import type { JobStore } from "./store.ts";
import { logger } from "../utils/logger.ts";

export interface FireRunnerOptions {
  store: JobStore;
  runs: Pick<RunManager, "start"> & Partial<Pick<RunManager, "get">>;
  sessions: SessionStore;
  config: HermesConfig;
  upstream: Upstream;
  now: () => number;
  /** A fire still `queued` this long after it was claimed lost its process before its run started. @default 60_000 */
  staleAfterMs?: number;
}

/** How a launch went: the run started, or it was refused (the fire is then recorded as failed). */
export type LaunchOutcome = { runId: string } | { error: unknown };

/**
 * Turns a claimed fire into a Runs API run (visible at `/v1/runs/{id}`) and records on the fire, and
 * on the job's `lastFire`, how it went: running with its run id, then the run's end with its output.
 */
export class FireRunner {
  readonly #options: FireRunnerOptions;
  /** Recordings of runs' ends still being written: shutdown waits for them before closing the storage. */
  readonly #pending = new Set<Promise<void>>();

  constructor(options: FireRunnerOptions) {
    this.#options = options;
  }

  /** Stores the fire, starts its run. A refusal (the run limit's 429, no upstream model) is a failed fire, never lost. */
  async launch(job: JobRecord, fire: JobFire): Promise<LaunchOutcome> {
    const { store, runs, sessions, config, upstream, now } = this.#options;
    await store.putFire(fire);
    try {
      const model = chooseModel(config, upstream, undefined);
      const instructions = [config.agent.systemPrompt, job.instructions].filter(Boolean).join("\n\n");
      const input: RunInput = {
        model: model.upstream,
        items: [{ type: "message", role: "user", content: [{ type: "input_text", text: job.prompt }] }],
        tools: [],
        ...(instructions && { instructions }),
      };
      // Each fire starts from the job's prompt alone, as the original server's cron runs do, in a session of
      // its own (named after its run): browsable and continuable through /api/sessions like any other.
      const beforeCompleted = recordRunOnSession(sessions, { sessionId: undefined, source: "job", model: model.reported, newItems: input.items });
      const run = await runs.start(input, {
        sessionId: undefined,
        model: model.reported,
        jobFire: { jobId: fire.jobId, sequence: fire.sequence },
        hooks: { beforeCompleted },
        onEnd: (record) => this.#track(this.#ended(fire, record)),
      });
      await this.#record(fire, (current) => (current.status === "queued" ? { ...current, runId: run.id, status: "running" } : undefined));
      return { runId: run.id };
    } catch (error) {
      const { message, code } = toErrorInfo(error);
      await this.#record(fire, (current) => ({ ...current, status: "failed", error: { message, code }, completedAt: now() }));
      return { error };
    }
  }

  /**
   * A run another process settled after its owner died: when a job fired it, its fire ends the same
   * way (`failed`, `run_abandoned`). There is no retry policy: the next scheduled fire runs as usual.
   */
  abandoned(run: RunRecord): void {
    const ref = run.jobFire;
    if (!ref) return;
    this.#track(
      (async () => {
        const fire = await this.#options.store.getFire(ref.jobId, ref.sequence);
        if (fire && !isFireFinished(fire.status)) await this.#ended(fire, run);
      })(),
    );
  }

  /**
   * The scheduler's safety net, once per job and tick: a last fire still `running` whose run has ended
   * (its end was recorded by no one: the process died between the two) or is gone gets the run's end;
   * one still `queued` long after its claim, with no run, lost its process before the run started and
   * is recorded as `failed` (`fire_abandoned`).
   */
  async reconcile(job: JobRecord): Promise<void> {
    const { store, runs, now } = this.#options;
    const last = job.lastFire;
    if (!last || isFireFinished(last.status) || !runs.get) return;
    const fire = await store.getFire(job.id, last.sequence);
    if (!fire || isFireFinished(fire.status)) return;
    if (fire.runId) {
      const run = await runs.get(fire.runId);
      if (run && !isFinished(run.status)) return;
      if (run) return this.#ended(fire, run);
      await this.#record(fire, (current) =>
        isFireFinished(current.status)
          ? undefined
          : { ...current, status: "failed", error: { message: "The fire's run is gone", code: "run_abandoned" }, completedAt: now() },
      );
      return;
    }
    if (now() - fire.firedAt < (this.#options.staleAfterMs ?? 60_000)) return;
    await this.#record(fire, (current) =>
      current.status !== "queued" || current.runId !== null
        ? undefined
        : {
            ...current,
            status: "failed",
            error: { message: "The process that claimed this fire stopped before its run started", code: "fire_abandoned" },
            completedAt: now(),
          },
    );
  }

  /** Resolves once every run end seen so far is recorded. */
  async settled(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all(this.#pending);
  }

  #ended(fire: JobFire, run: RunRecord): Promise<void> {
    const output = run.output;
    const truncated = output !== null && output.length > fireOutputChars;
    const status: FireStatus =
      run.status === "completed" || run.status === "incomplete" || run.status === "cancelled" || run.status === "interrupted" ? run.status : "failed";
    return this.#record(fire, (current) => ({
      ...current,
      runId: run.id,
      status,
      output: truncated ? output.slice(0, fireOutputChars) : output,
      outputTruncated: truncated,
      error: run.error,
      usage: run.usage,
      completedAt: this.#options.now(),
    })).then(() => undefined);
  }

  /** Changes the stored fire, then the job's summary of it (unless a newer fire or a finished state is there already). */
  async #record(fire: JobFire, change: (current: JobFire) => JobFire | undefined): Promise<JobFire | null> {
    const { store, now } = this.#options;
    const stored = await store.updateFire(fire.jobId, fire.sequence, change);
    if (!stored) return null;
    await store.update(fire.jobId, (job) => {
      if (!job || job.lastFire?.id !== fire.id) return undefined;
      if (isFireFinished(job.lastFire.status) && !isFireFinished(stored.status)) return undefined;
      return { ...job, lastFire: summarize(stored), updatedAt: now() };
    });
    return stored;
  }

  #track(work: Promise<void>): void {
    const tracked = work.catch((error: unknown) => logger.error("recording a job fire failed:", error)).finally(() => this.#pending.delete(tracked));
    this.#pending.add(tracked);
  }
}
