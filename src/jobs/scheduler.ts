import { randomId } from "../utils/index.ts";
import { claimChange, planDue } from "./claim.ts";
import type { JobClock } from "./clock.ts";
import { type JobFire, type JobRecord, queuedFire } from "./record.ts";
import type { JobStore } from "./store.ts";
import { logger } from "../utils/logger.ts";

export interface JobSchedulerOptions {
  store: JobStore;
  clock: JobClock;
  /** The longest sleep: jobs created or changed on other processes are seen within it. */
  pollIntervalMs: number;
  /** A missed fire older than this is skipped rather than run late. */
  catchUpWindowMs: number;
  /** Runs a fire this process claimed; resolves once its run started (or its failure is recorded). */
  launch: (job: JobRecord, fire: JobFire) => Promise<unknown>;
  /** Looks at each job once per tick (a last fire whose process died is settled here). */
  inspect?: (job: JobRecord) => Promise<unknown>;
}

/** What one tick did. */
export interface TickReport {
  fired: JobFire[];
  /** Ids of jobs whose missed fire was older than the catch-up window. */
  skipped: string[];
  /** The earliest `nextRunAt` seen, or Infinity. */
  earliest: number;
}

/**
 * Fires due jobs. `tick` is the whole logic: read every job, claim each due fire with an atomic
 * update (so that of several processes on one Redis exactly one runs it), launch the claimed ones.
 * The timer only decides when to tick: at the earliest known `nextRunAt`, and at least every
 * `pollIntervalMs`. Time comes from the injected clock, so tests drive it without waiting.
 */
export class JobScheduler {
  readonly #options: JobSchedulerOptions;
  #timer: unknown;
  #wakeAt = Infinity;
  #stopped = false;
  #startedAt = 0;
  /** The tick in progress (ticks never overlap in one process). */
  #ticking: Promise<unknown> = Promise.resolve();

  constructor(options: JobSchedulerOptions) {
    this.#options = options;
  }

  /** Catches up on fires missed while no process ran (the first tick), then keeps ticking. */
  async start(): Promise<void> {
    this.#startedAt = this.#options.clock.now();
    await this.#wake();
  }

  tick(): Promise<TickReport> {
    const run = this.#ticking.then(() => this.#tickOnce());
    this.#ticking = run.catch(() => undefined);
    return run;
  }

  /** A job created or changed here may be due before the next wake-up. */
  notify(nextRunAt: number | null): void {
    if (nextRunAt !== null) this.#arm(nextRunAt);
  }

  /** No more ticks; resolves once the tick in progress (if any) is done. */
  async stop(): Promise<void> {
    this.#stopped = true;
    if (this.#timer !== undefined) this.#options.clock.clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.#ticking;
  }

  async #tickOnce(): Promise<TickReport> {
    const { store, clock } = this.#options;
    const report: TickReport = { fired: [], skipped: [], earliest: Infinity };
    if (this.#stopped) return report;
    const now = clock.now();
    for (const job of await store.list()) {
      try {
        await this.#options.inspect?.(job);
        await this.#consider(job, now, report);
      } catch (error) {
        // One job's trouble (a storage error, a record that no longer parses) must not hold up the others.
        logger.error(`job ${job.id}: the scheduler could not fire it:`, error);
      }
    }
    return report;
  }

  /** Claims and launches the job's fire if it is due; notes when it waits for its next one. */
  async #consider(job: JobRecord, now: number, report: TickReport): Promise<void> {
    const { store, catchUpWindowMs, launch } = this.#options;
    const waitingFor = (current: JobRecord | null) => {
      if (current?.state === "scheduled" && current.nextRunAt !== null) report.earliest = Math.min(report.earliest, current.nextRunAt);
    };
    const plan = planDue(job, now, { startedAt: this.#startedAt, catchUpWindowMs });
    if (!plan) return waitingFor(job);
    const claimId = randomId("fire_");
    const claimed = await store.update(job.id, claimChange(plan, now, claimId));
    waitingFor(claimed);
    // Another process claimed it first, or the job changed meanwhile: nothing to do here.
    if (!claimed || claimed.claim !== claimId) return;
    if (!plan.fire) {
      logger.warn(`job ${job.id}: skipped the fire due at ${new Date(plan.scheduledFor).toISOString()}, older than the catch-up window`);
      report.skipped.push(job.id);
      return;
    }
    const fire = queuedFire({
      id: claimId,
      sequence: claimed.fireSequence,
      jobId: job.id,
      trigger: plan.trigger,
      scheduledFor: plan.scheduledFor,
      firedAt: now,
    });
    report.fired.push(fire);
    await launch(claimed, fire);
  }

  async #wake(): Promise<void> {
    this.#timer = undefined;
    this.#wakeAt = Infinity;
    let earliest = Infinity;
    try {
      earliest = (await this.tick()).earliest;
    } catch (error) {
      // A storage hiccup: the next poll tries again.
      logger.error("the job scheduler's tick failed:", error);
    }
    this.#arm(earliest);
  }

  /** Sleeps until `at`, or one poll interval, whichever is sooner; an earlier wake-up already set stays. */
  #arm(at: number): void {
    if (this.#stopped) return;
    const { clock, pollIntervalMs } = this.#options;
    const now = clock.now();
    const wakeAt = Math.min(at, now + pollIntervalMs);
    if (this.#timer !== undefined && this.#wakeAt <= wakeAt) return;
    if (this.#timer !== undefined) clock.clearTimeout(this.#timer);
    this.#wakeAt = wakeAt;
    this.#timer = clock.setTimeout(() => this.#wake(), Math.max(0, wakeAt - now));
  }
}
