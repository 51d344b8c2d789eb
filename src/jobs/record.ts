import type { HermesErrorInfo, Usage } from "../protocol/index.ts";
import { nextFireAfter, parseSchedule, type ScheduleKind } from "./schedule.ts";

/** `scheduled` waits for its next fire; `paused` does not fire until resumed; `completed` has no fire left. */
export type JobState = "scheduled" | "paused" | "completed";

/** Why a fire happened: its time came, it stands in for fires missed while no process ran, or `POST …/run`. */
export type FireTrigger = "schedule" | "catch-up" | "manual";

/** A fire's run: queued until the run starts, then the run's own terminal status. */
export type FireStatus = "queued" | "running" | "completed" | "incomplete" | "failed" | "cancelled" | "interrupted";

/** A job as stored under `jobs:<id>`. Times are epoch ms. */
export interface JobRecord {
  /** 12 lowercase hex characters, as on the original server. */
  id: string;
  name: string;
  prompt: string;
  /** Added to the configured system prompt for the job's runs. */
  instructions: string | null;
  /** The schedule as the client wrote it (trimmed); parsed again whenever a time is computed. */
  schedule: string;
  kind: ScheduleKind;
  /** The client's timezone for cron expressions and zone-less ISO times; null means UTC. */
  timezone: string | null;
  /** Scheduled fires after which the job completes; null for no limit. Manual fires do not count. */
  repeat: number | null;
  /** False while paused. */
  enabled: boolean;
  state: JobState;
  createdAt: number;
  updatedAt: number;
  /** Intervals count from here: the creation, the last schedule change or resume. */
  anchorAt: number;
  /** The fire the scheduler waits for; null when paused or completed. */
  nextRunAt: number | null;
  lastRunAt: number | null;
  pausedAt: number | null;
  /** Scheduled (and catch-up) fires so far, counted against `repeat`. */
  fireCount: number;
  /** The sequence number of the latest fire of any trigger; fires are numbered 1, 2, … */
  fireSequence: number;
  /**
   * The id of the last scheduler claim on this job. Several processes may find the same fire due; the
   * one whose atomic update moved `nextRunAt` on and stamped its own claim id runs it.
   */
  claim: string | null;
  lastFire: FireSummary | null;
}

/** The latest fire, on the job itself for the list view. */
export interface FireSummary {
  id: string;
  sequence: number;
  trigger: FireTrigger;
  runId: string | null;
  status: FireStatus;
  firedAt: number;
  error: FireError | null;
}

export type FireError = Pick<HermesErrorInfo, "message" | "code">;

/** One fire, under `job-fires:<jobId>:<sequence>`; the latest `firesKept` of a job are kept. */
export interface JobFire {
  id: string;
  sequence: number;
  jobId: string;
  trigger: FireTrigger;
  /** The schedule time it fired for; null for a manual fire. */
  scheduledFor: number | null;
  firedAt: number;
  runId: string | null;
  status: FireStatus;
  /** The run's final text, cut at `fireOutputChars`. */
  output: string | null;
  outputTruncated: boolean;
  error: FireError | null;
  usage: Usage | null;
  completedAt: number | null;
}

/** Per job; older fires are deleted as new ones are recorded. */
export const firesKept = 50;
/** Characters of a run's output kept on its fire. */
export const fireOutputChars = 20_000;

export function isFireFinished(status: FireStatus): boolean {
  return status !== "queued" && status !== "running";
}

/** A fire as its claim creates it: queued, no run yet. */
export function queuedFire(fire: Pick<JobFire, "id" | "sequence" | "jobId" | "trigger" | "scheduledFor" | "firedAt">): JobFire {
  return { ...fire, runId: null, status: "queued", output: null, outputTruncated: false, error: null, usage: null, completedAt: null };
}

export function summarize(fire: JobFire): FireSummary {
  return { id: fire.id, sequence: fire.sequence, trigger: fire.trigger, runId: fire.runId, status: fire.status, firedAt: fire.firedAt, error: fire.error };
}

/** What a client defines of a job; the rest of its record is state. */
export type JobDefinition = Pick<JobRecord, "id" | "name" | "prompt" | "instructions" | "schedule" | "kind" | "timezone" | "repeat" | "enabled">;

/** A job created at `now`: never fired, waiting for its first fire (or paused). */
export function newJob(definition: JobDefinition, now: number): JobRecord {
  const fresh: JobRecord = {
    ...definition,
    state: "scheduled",
    createdAt: now,
    updatedAt: now,
    anchorAt: now,
    nextRunAt: null,
    lastRunAt: null,
    pausedAt: null,
    fireCount: 0,
    fireSequence: 0,
    claim: null,
    lastFire: null,
  };
  return reschedule(fresh, now);
}

/**
 * The job's state and next fire from `now`, after a change to its schedule, repeat or enabled flag:
 * paused jobs wait for nothing, exhausted or past ones are completed, the rest wait for their next fire.
 */
export function reschedule(job: JobRecord, now: number): JobRecord {
  if (!job.enabled) return { ...job, state: "paused", nextRunAt: null, pausedAt: job.pausedAt ?? now };
  const exhausted = job.repeat !== null && job.fireCount >= job.repeat;
  const next = exhausted ? null : nextFireAfter(parseSchedule(job.schedule, job.timezone), job.anchorAt, now);
  return { ...job, state: next === null ? "completed" : "scheduled", nextRunAt: next, pausedAt: null };
}
