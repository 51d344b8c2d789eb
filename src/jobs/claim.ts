import { type FireTrigger, type JobRecord, reschedule } from "./record.ts";
import { latestFireAtOrBefore, parseSchedule } from "./schedule.ts";

/** What to do about a job found due. */
export interface DuePlan {
  /** The `nextRunAt` the job was found waiting for: the claim applies only while it still does. */
  dueAt: number;
  /** The schedule time this fire stands for: the latest one that has come, however many were missed. */
  scheduledFor: number;
  /** False when even the latest missed fire is older than the catch-up window: skipped, not run. */
  fire: boolean;
  trigger: Exclude<FireTrigger, "manual">;
}

export interface DueRules {
  /** When this process's scheduler started: a fire due before it was missed while no process ran. */
  startedAt: number;
  catchUpWindowMs: number;
}

/**
 * The missed-fire rule. A due job fires once, for the latest schedule time that has come, however many
 * times it was missed (a restart, a suspended host); if even that time is older than the catch-up
 * window, nothing runs. Either way the schedule then continues from now. Null when the job is not due.
 */
export function planDue(job: JobRecord, now: number, rules: DueRules): DuePlan | null {
  if (job.state !== "scheduled" || job.nextRunAt === null || job.nextRunAt > now) return null;
  const latest = latestFireAtOrBefore(parseSchedule(job.schedule, job.timezone), job.anchorAt, now);
  const scheduledFor = Math.max(job.nextRunAt, latest ?? job.nextRunAt);
  const missed = scheduledFor > job.nextRunAt || job.nextRunAt < rules.startedAt;
  return { dueAt: job.nextRunAt, scheduledFor, fire: now - scheduledFor <= rules.catchUpWindowMs, trigger: missed ? "catch-up" : "schedule" };
}

/**
 * The compare-and-set that claims a due fire: it applies only while the job still waits for
 * `plan.dueAt`, moves `nextRunAt` on and stamps `claimId`. Run through `coordination.update` (atomic
 * across processes on Redis), so of all the processes that found the fire due, exactly one sees its
 * own claim id on the result. Pure: the coordination may call it more than once under contention.
 */
export function claimChange(plan: DuePlan, now: number, claimId: string): (current: JobRecord | null) => JobRecord | undefined {
  return (current) => {
    if (!current || current.state !== "scheduled" || current.nextRunAt !== plan.dueAt) return undefined;
    const fireCount = current.fireCount + (plan.fire ? 1 : 0);
    const advanced = { ...reschedule({ ...current, fireCount }, now), claim: claimId, updatedAt: now };
    if (!plan.fire) return advanced;
    return withFire(advanced, claimId, plan.trigger, now);
  };
}

/** `POST /api/jobs/{id}/run`: a fire outside the schedule, which neither moves nor counts against it. */
export function manualFireChange(fireId: string, now: number): (current: JobRecord | null) => JobRecord | undefined {
  return (current) => (current ? withFire({ ...current, updatedAt: now }, fireId, "manual", now) : undefined);
}

function withFire(job: JobRecord, fireId: string, trigger: FireTrigger, now: number): JobRecord {
  const sequence = job.fireSequence + 1;
  return {
    ...job,
    fireSequence: sequence,
    lastRunAt: now,
    lastFire: { id: fireId, sequence, trigger, runId: null, status: "queued", firedAt: now, error: null },
  };
}
