import { Cron } from "croner";
import { HermesError } from "../protocol/index.ts";

/** How a job repeats: a cron expression, a fixed interval, or one ISO 8601 time. */
export type ScheduleKind = "cron" | "interval" | "once";

/** A schedule as parsed from the job's `schedule` text and `timezone`; rebuilt from them whenever needed. */
export interface Schedule {
  kind: ScheduleKind;
  /** The client's text, trimmed. */
  text: string;
  /** IANA name; cron expressions and ISO times without an offset are read in it. */
  timezone: string;
  /** `interval`: milliseconds between fires. */
  intervalMs?: number;
  /** `once`: epoch ms. */
  runAt?: number;
  /** `cron`: the library's evaluator. */
  cron?: Cron;
}

export const defaultTimezone = "UTC";

/** Shortest interval: a scheduler that fires more often than a minute is a load generator, not a cron. */
export const minIntervalMs = 60_000;
const maxIntervalMs = 366 * 24 * 60 * 60_000;

// Only the "every N<unit>" shorthand is matched here; cron expressions and ISO times go to croner.
const intervalPattern = /^every\s+(\d{1,9})\s*(s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?|d|days?)$/i;
const unitMs: Record<string, number> = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const isoPattern = /^(\d{4})-(\d{2})-(\d{2})T\d{2}:\d{2}/;

const invalid = (message: string) => new HermesError(message, { status: 400, code: "invalid_schedule", param: "schedule" });
const usage = `Use a cron expression ("*/5 * * * *", evaluated in UTC unless 'timezone' is set), "every 10m" (s, m, h or d; 1 minute at least), or an ISO 8601 time for a single fire ("2030-01-01T09:00:00Z")`;

/**
 * Parses a job's schedule.
 * @throws {HermesError} 400 `invalid_schedule` (param `schedule`) saying why, or `invalid_timezone` (param `timezone`).
 */
export function parseSchedule(text: string, timezone: string | null = null): Schedule {
  const zone = timezone ?? defaultTimezone;
  checkTimezone(zone);
  const trimmed = text.trim();
  const interval = intervalPattern.exec(trimmed);
  if (interval) {
    const intervalMs = Number(interval[1]) * (unitMs[interval[2]!.charAt(0).toLowerCase()] ?? 0);
    if (intervalMs < minIntervalMs) throw invalid(`Invalid schedule '${trimmed}': the shortest interval is 1 minute`);
    if (intervalMs > maxIntervalMs) throw invalid(`Invalid schedule '${trimmed}': the longest interval is 366 days; use a cron expression`);
    return { kind: "interval", text: trimmed, timezone: zone, intervalMs };
  }
  const iso = isoPattern.exec(trimmed);
  if (iso) return { kind: "once", text: trimmed, timezone: zone, runAt: parseTime(trimmed, zone, iso) };
  try {
    // 5-part: minute precision, as cron has it; croner still takes the @hourly/@daily nicknames.
    return { kind: "cron", text: trimmed, timezone: zone, cron: new Cron(trimmed, { timezone: zone, mode: "5-part", paused: true }) };
  } catch (error) {
    throw invalid(`Invalid schedule '${trimmed}': ${(error as Error).message}. ${usage}`);
  }
}

function checkTimezone(zone: string): void {
  try {
    new Cron("* * * * *", { timezone: zone, paused: true }).nextRun();
  } catch {
    throw new HermesError(`Invalid timezone '${zone}': expected an IANA name such as "Europe/Berlin" or "UTC"`, {
      status: 400,
      code: "invalid_timezone",
      param: "timezone",
    });
  }
}

/** An ISO time, read by croner in the job's timezone when it carries no offset. */
function parseTime(text: string, zone: string, date: RegExpExecArray): number {
  const [year, month, day] = [Number(date[1]), Number(date[2]), Number(date[3])];
  // croner (like Date) rolls 2030-02-30 over into March; a date that does not exist is a typo.
  const probe = new Date(Date.UTC(year, month - 1, day));
  if (probe.getUTCMonth() !== month - 1 || probe.getUTCDate() !== day) throw invalid(`Invalid schedule '${text}': ${date[0].slice(0, 10)} is not a date`);
  try {
    const at = new Cron(text, { timezone: zone, paused: true }).nextRun(new Date(0));
    if (at) return at.getTime();
  } catch (error) {
    throw invalid(`Invalid schedule '${text}': ${(error as Error).message}. ${usage}`);
  }
  throw invalid(`Invalid schedule '${text}'. ${usage}`);
}

/**
 * The first fire strictly after `after` (epoch ms), or null when there is none. Intervals count from
 * `anchorAt` (the job's creation, schedule change or resume), so fires stay on one grid whatever the
 * scheduler's delays.
 */
export function nextFireAfter(schedule: Schedule, anchorAt: number, after: number): number | null {
  if (schedule.kind === "once") return schedule.runAt! > after ? schedule.runAt! : null;
  if (schedule.kind === "interval") {
    const step = schedule.intervalMs!;
    return anchorAt + Math.max(1, Math.floor((after - anchorAt) / step) + 1) * step;
  }
  return schedule.cron!.nextRun(new Date(after))?.getTime() ?? null;
}

/** The latest fire time at or before `at`, or null when none has come yet: what a late scheduler catches up on. */
export function latestFireAtOrBefore(schedule: Schedule, anchorAt: number, at: number): number | null {
  if (schedule.kind === "once") return schedule.runAt! <= at ? schedule.runAt! : null;
  if (schedule.kind === "interval") {
    const count = Math.floor((at - anchorAt) / schedule.intervalMs!);
    return count >= 1 ? anchorAt + count * schedule.intervalMs! : null;
  }
  // croner's reference is exclusive: a millisecond later includes a fire exactly at `at`.
  return schedule.cron!.previousRuns(1, new Date(at + 1))[0]?.getTime() ?? null;
}

/**
 * Refuses a schedule that would never fire from `now` on: a time in the past, or a cron expression with
 * no matching date (`0 0 30 2 *`).
 * @throws {HermesError} 400 `invalid_schedule`.
 */
export function requireUpcoming(schedule: Schedule, now: number): void {
  if (nextFireAfter(schedule, now, now) !== null) return;
  if (schedule.kind === "once") throw invalid(`Invalid schedule '${schedule.text}': ${new Date(schedule.runAt!).toISOString()} is in the past`);
  throw invalid(`Invalid schedule '${schedule.text}': it never fires`);
}

/** The original server's human form: `every 10m`, the cron expression, `once at 2030-01-01 09:00`. */
export function describeSchedule(schedule: Schedule): string {
  if (schedule.kind === "interval") {
    const ms = schedule.intervalMs!;
    for (const [unit, size] of [
      ["d", 86_400_000],
      ["h", 3_600_000],
      ["m", 60_000],
    ] as const)
      if (ms % size === 0) return `every ${ms / size}${unit}`;
    return `every ${ms / 1000}s`;
  }
  if (schedule.kind === "once") return `once at ${new Date(schedule.runAt!).toISOString().slice(0, 16).replace("T", " ")} UTC`;
  return schedule.text;
}
