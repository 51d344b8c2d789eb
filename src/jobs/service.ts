import type { HermesConfig } from "../config/schema.ts";
import type { Storage } from "unstorage";
import { HermesError } from "../protocol/index.ts";
import { randomId } from "../utils/index.ts";
import { type StorageCoordination } from "../plugin-api/index.ts";
import { chooseModel } from "../runtime/model.ts";
import type { RunManager } from "../runtime/runs/manager.ts";
import type { SessionStore } from "../state/sessions.ts";
import type { Upstream } from "../upstream/types.ts";
import { manualFireChange } from "./claim.ts";
import { type JobClock, systemClock } from "./clock.ts";
import { FireRunner } from "./fire.ts";
import { newJobId } from "./job-id.ts";
import { type JobFire, type JobRecord, newJob, queuedFire, reschedule } from "./record.ts";
import type { CreateJobRequest, PatchJobRequest } from "./requests.ts";
import { parseSchedule, requireUpcoming } from "./schedule.ts";
import { JobScheduler } from "./scheduler.ts";
import { createJobStore, type JobStore } from "./store.ts";

export interface JobServiceOptions {
  storage: Storage;
  coordination: StorageCoordination;
  config: HermesConfig;
  upstream: Upstream;
  /** The run engine; with `get` and `onAbandoned`, fires whose process died are settled too. */
  runs: Pick<RunManager, "start"> & Partial<Pick<RunManager, "get" | "onAbandoned">>;
  /** Where each fire's conversation is recorded (a session named after its run). */
  sessions: SessionStore;
  /** @default the system clock */
  clock?: JobClock | undefined;
}

const notFound = (id: string) => new HermesError(`Job not found: ${id}`, { status: 404, code: "job_not_found", param: "job_id" });

/**
 * Scheduled jobs: what the `/api/jobs` routes do, on the job store, with the scheduler that fires them.
 * Every change goes through an atomic update of the job's record, so a change and a fire claimed on
 * another process never overwrite each other.
 */
export class JobService {
  readonly #store: JobStore;
  readonly #scheduler: JobScheduler;
  readonly #runner: FireRunner;
  readonly #clock: JobClock;
  readonly #config: HermesConfig;
  readonly #upstream: Upstream;

  constructor(options: JobServiceOptions) {
    const { config } = options;
    this.#clock = options.clock ?? systemClock;
    this.#config = config;
    this.#upstream = options.upstream;
    this.#store = createJobStore(options.storage, options.coordination);
    const now = () => this.#clock.now();
    this.#runner = new FireRunner({
      store: this.#store,
      runs: options.runs,
      sessions: options.sessions,
      config,
      upstream: options.upstream,
      now,
      staleAfterMs: 2 * config.agent.runLeaseMs,
    });
    // A fire's run settled here for a process that died: the fire ends with it.
    options.runs.onAbandoned?.((run) => this.#runner.abandoned(run));
    this.#scheduler = new JobScheduler({
      store: this.#store,
      clock: this.#clock,
      pollIntervalMs: config.jobs.pollIntervalMs,
      catchUpWindowMs: config.jobs.catchUpWindowMs,
      launch: (job, fire) => this.#runner.launch(job, fire),
      inspect: (job) => this.#runner.reconcile(job),
    });
  }

  /** Jobs oldest first; paused ones only with `includeDisabled`. */
  async list(includeDisabled: boolean): Promise<JobRecord[]> {
    const jobs = await this.#store.list();
    return jobs.filter((job) => includeDisabled || job.enabled).sort((a, b) => a.createdAt - b.createdAt || a.id.localeCompare(b.id));
  }

  async get(id: string): Promise<JobRecord> {
    const job = await this.#store.get(id);
    if (!job) throw notFound(id);
    return job;
  }

  async create(request: CreateJobRequest): Promise<JobRecord> {
    const now = this.#clock.now();
    const schedule = parseSchedule(request.schedule, request.timezone ?? null);
    requireUpcoming(schedule, now);
    // A job that could never run (no upstream model to send it to) is refused now, not at its first fire.
    chooseModel(this.#config, this.#upstream, undefined);
    // A soft bound (two creates at once may both pass it): it keeps the scheduler's scans small.
    const { maxJobs } = this.#config.jobs;
    if ((await this.#store.count()) >= maxJobs)
      throw new HermesError(`This server keeps at most ${maxJobs} jobs (jobs.maxJobs); delete one first`, { status: 409, code: "job_limit_reached" });
    const job = newJob(
      {
        id: newJobId(),
        name: request.name.trim(),
        prompt: request.prompt,
        instructions: request.instructions ?? null,
        schedule: schedule.text,
        kind: schedule.kind,
        timezone: request.timezone ?? null,
        repeat: request.repeat ?? null,
        enabled: request.enabled ?? true,
      },
      now,
    );
    await this.#store.insert(job);
    this.#scheduler.notify(job.nextRunAt);
    return job;
  }

  /** Changes whitelisted fields. A new schedule, timezone, repeat or enabled flag recomputes the next fire from now. */
  async patch(id: string, changes: PatchJobRequest): Promise<JobRecord> {
    const now = this.#clock.now();
    const current = await this.get(id);
    const timezone = changes.timezone !== undefined ? changes.timezone : current.timezone;
    const scheduleChanged = changes.schedule !== undefined || changes.timezone !== undefined;
    const schedule = scheduleChanged ? parseSchedule(changes.schedule ?? current.schedule, timezone) : undefined;
    if (schedule) requireUpcoming(schedule, now);
    const updated = await this.#store.update(id, (job) => {
      if (!job) return undefined;
      let next: JobRecord = { ...job, updatedAt: now };
      if (changes.name !== undefined) next.name = changes.name.trim();
      if (changes.prompt !== undefined) next.prompt = changes.prompt;
      if (changes.instructions !== undefined) next.instructions = changes.instructions;
      if (schedule) next = { ...next, schedule: schedule.text, kind: schedule.kind, timezone, anchorAt: now };
      if (changes.repeat !== undefined) next.repeat = changes.repeat;
      const resumed = changes.enabled === true && !job.enabled;
      if (changes.enabled !== undefined && changes.enabled !== job.enabled)
        next = { ...next, enabled: changes.enabled, ...(resumed && { anchorAt: now }), pausedAt: changes.enabled ? null : now };
      const timing = scheduleChanged || changes.repeat !== undefined || changes.enabled !== undefined;
      return timing ? reschedule(next, now) : next;
    });
    if (!updated) throw notFound(id);
    this.#scheduler.notify(updated.nextRunAt);
    return updated;
  }

  async remove(id: string): Promise<void> {
    if (!(await this.#store.remove(id))) throw notFound(id);
  }

  /** Stops the job firing until resumed; pausing a paused job changes nothing. */
  pause(id: string): Promise<JobRecord> {
    return this.patch(id, { enabled: false });
  }

  /** Fires again from now on: the next fire is computed from the time of the resume. */
  resume(id: string): Promise<JobRecord> {
    return this.patch(id, { enabled: true });
  }

  /**
   * Fires the job now, whatever its state, outside its schedule (which neither moves nor counts it).
   * @throws {HermesError} what refused the run (such as the run limit's 429), after recording the fire as failed.
   */
  async fire(id: string): Promise<{ job: JobRecord; fire: JobFire; runId: string }> {
    const now = this.#clock.now();
    const fireId = randomId("fire_");
    const job = await this.#store.update(id, manualFireChange(fireId, now));
    if (!job) throw notFound(id);
    const fire = queuedFire({ id: fireId, sequence: job.fireSequence, jobId: id, trigger: "manual", scheduledFor: null, firedAt: now });
    const outcome = await this.#runner.launch(job, fire);
    if ("error" in outcome) throw outcome.error;
    return { job, fire, runId: outcome.runId };
  }

  /** The job's kept fires, newest first. */
  async fires(id: string): Promise<JobFire[]> {
    return this.#store.fires(await this.get(id));
  }

  /** Starts the scheduler: fires missed while no process ran are caught up on now. */
  start(): Promise<void> {
    return this.#scheduler.start();
  }

  /** Stops firing (before the server drains its runs). */
  stop(): Promise<void> {
    return this.#scheduler.stop();
  }

  /** Resolves once the ends of the runs fired so far are recorded (after the drain, before the storage closes). */
  settled(): Promise<void> {
    return this.#runner.settled();
  }
}
