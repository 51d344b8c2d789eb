import { runsUsage } from "../wire/runs/index.ts";
import type { FireStatus, FireSummary, JobFire, JobRecord } from "./record.ts";
import { describeSchedule, parseSchedule } from "./schedule.ts";

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** The original server's `last_status`: `ok` or `error` once a fire ended, null before. */
function lastStatus(status: FireStatus | undefined): "ok" | "error" | null {
  if (status === undefined || status === "queued" || status === "running") return null;
  return status === "completed" ? "ok" : "error";
}

/**
 * A job as the API shows it: the original server's keys (`schedule` object, `schedule_display`,
 * `repeat: {times, completed}`, ISO times, `last_status`), plus `instructions`, `timezone`, `updated_at`
 * and `last_fire`.
 */
export function encodeJob(job: JobRecord) {
  const schedule = parseSchedule(job.schedule, job.timezone);
  const display = describeSchedule(schedule);
  return {
    id: job.id,
    name: job.name,
    prompt: job.prompt,
    instructions: job.instructions,
    schedule: {
      kind: schedule.kind,
      ...(schedule.kind === "cron" && { expr: schedule.text }),
      ...(schedule.kind === "interval" && { minutes: schedule.intervalMs! / 60_000 }),
      ...(schedule.kind === "once" && { run_at: iso(schedule.runAt!) }),
      display,
    },
    schedule_display: display,
    timezone: job.timezone,
    repeat: { times: job.repeat, completed: job.fireCount },
    enabled: job.enabled,
    state: job.state,
    created_at: iso(job.createdAt),
    updated_at: iso(job.updatedAt),
    paused_at: iso(job.pausedAt),
    next_run_at: iso(job.nextRunAt),
    last_run_at: iso(job.lastRunAt),
    last_status: lastStatus(job.lastFire?.status),
    last_error: job.lastFire?.error?.message ?? null,
    last_run_id: job.lastFire?.runId ?? null,
    last_fire: job.lastFire ? encodeFireSummary(job.lastFire) : null,
  };
}

function encodeFireSummary(fire: FireSummary) {
  return {
    id: fire.id,
    sequence: fire.sequence,
    trigger: fire.trigger,
    run_id: fire.runId,
    status: fire.status,
    fired_at: iso(fire.firedAt),
    error: fire.error,
  };
}

/** One entry of `GET /api/jobs/{id}/runs`. */
export function encodeFire(fire: JobFire) {
  return {
    object: "hermes.job.fire" as const,
    id: fire.id,
    sequence: fire.sequence,
    job_id: fire.jobId,
    run_id: fire.runId,
    trigger: fire.trigger,
    status: fire.status,
    scheduled_for: iso(fire.scheduledFor),
    fired_at: iso(fire.firedAt),
    completed_at: iso(fire.completedAt),
    output: fire.output,
    output_truncated: fire.outputTruncated,
    error: fire.error,
    usage: fire.usage ? runsUsage(fire.usage) : null,
  };
}
