import { describe, expect, it } from "vitest";
import { describeSchedule, latestFireAtOrBefore, nextFireAfter, parseSchedule, requireUpcoming } from "../../../src/jobs/schedule.ts";
import { HermesError } from "../../../src/protocol/index.ts";

const at = (iso: string) => Date.parse(iso);
const t0 = at("2030-01-07T10:02:30Z");

/** The HermesError a call throws, for its code, param and message. */
function thrown(call: () => unknown): HermesError {
  try {
    call();
  } catch (error) {
    if (HermesError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a HermesError");
}

describe("parseSchedule: cron expressions (croner)", () => {
  it("evaluates a 5-field expression in UTC", () => {
    const schedule = parseSchedule("*/5 * * * *");
    expect(schedule).toMatchObject({ kind: "cron", text: "*/5 * * * *", timezone: "UTC" });
    expect(nextFireAfter(schedule, t0, t0)).toBe(at("2030-01-07T10:05:00Z"));
    expect(nextFireAfter(schedule, t0, at("2030-01-07T10:05:00Z"))).toBe(at("2030-01-07T10:10:00Z"));
    expect(describeSchedule(schedule)).toBe("*/5 * * * *");
  });

  it("reads the expression in the job's timezone", () => {
    const berlin = parseSchedule("0 9 * * *", "Europe/Berlin");
    expect(nextFireAfter(berlin, t0, t0)).toBe(at("2030-01-08T08:00:00Z"));
    const newYork = parseSchedule("0 9 * * *", "America/New_York");
    expect(nextFireAfter(newYork, t0, t0)).toBe(at("2030-01-07T14:00:00Z"));
  });

  it("takes the usual nicknames and trims", () => {
    const hourly = parseSchedule("  @hourly ");
    expect(hourly.text).toBe("@hourly");
    expect(nextFireAfter(hourly, t0, t0)).toBe(at("2030-01-07T11:00:00Z"));
  });

  it("refuses what is not a 5-field expression, saying why", () => {
    for (const [text, why] of [
      ["* * * * * *", "requires exactly 5 parts"],
      ["61 * * * *", "Invalid value for minute"],
      ["tomorrow", "exactly five, six, or seven space separated parts"],
      ["every 10x", "exactly five, six, or seven"],
    ] as const) {
      const error = thrown(() => parseSchedule(text));
      expect(error).toMatchObject({ status: 400, code: "invalid_schedule", param: "schedule" });
      expect(error.message).toContain(`Invalid schedule '${text}'`);
      expect(error.message).toContain(why);
      expect(error.message).toContain('"every 10m"');
    }
  });

  it("refuses an expression that never fires", () => {
    const schedule = parseSchedule("0 0 30 2 *");
    expect(thrown(() => requireUpcoming(schedule, t0)).message).toBe("Invalid schedule '0 0 30 2 *': it never fires");
  });

  it("refuses a timezone that does not exist, naming the field", () => {
    const error = thrown(() => parseSchedule("0 9 * * *", "Mars/Olympus_Mons"));
    expect(error).toMatchObject({ status: 400, code: "invalid_timezone", param: "timezone" });
  });
});

describe("parseSchedule: every N", () => {
  it("reads s, m, h and d, and the spelled-out units", () => {
    expect(parseSchedule("every 10m").intervalMs).toBe(600_000);
    expect(parseSchedule("every 2h").intervalMs).toBe(7_200_000);
    expect(parseSchedule("Every 1 day").intervalMs).toBe(86_400_000);
    expect(parseSchedule("every 90s").intervalMs).toBe(90_000);
    expect(parseSchedule("every 5 minutes")).toMatchObject({ kind: "interval", intervalMs: 300_000 });
  });

  it("keeps one grid from the anchor, whatever time it is asked from", () => {
    const schedule = parseSchedule("every 10m");
    expect(nextFireAfter(schedule, t0, t0)).toBe(t0 + 600_000);
    expect(nextFireAfter(schedule, t0, t0 + 600_000)).toBe(t0 + 1_200_000);
    expect(nextFireAfter(schedule, t0, t0 + 3_000_000)).toBe(t0 + 3_600_000);
    expect(latestFireAtOrBefore(schedule, t0, t0 + 599_999)).toBeNull();
    expect(latestFireAtOrBefore(schedule, t0, t0 + 600_000)).toBe(t0 + 600_000);
    expect(latestFireAtOrBefore(schedule, t0, t0 + 2_999_999)).toBe(t0 + 2_400_000);
    expect(latestFireAtOrBefore(schedule, t0, t0 + 3_000_000)).toBe(t0 + 3_000_000);
  });

  it("refuses less than a minute and more than a year", () => {
    for (const text of ["every 30s", "every 59 seconds", "every 0m"])
      expect(thrown(() => parseSchedule(text)).message).toBe(`Invalid schedule '${text}': the shortest interval is 1 minute`);
    expect(thrown(() => parseSchedule("every 400d")).message).toContain("the longest interval is 366 days");
  });

  it("describes itself as the original server does", () => {
    expect(describeSchedule(parseSchedule("every 60m"))).toBe("every 1h");
    expect(describeSchedule(parseSchedule("every 90m"))).toBe("every 90m");
    expect(describeSchedule(parseSchedule("every 90s"))).toBe("every 90s");
  });
});

describe("parseSchedule: an ISO 8601 time fires once", () => {
  it("takes Z, an offset, or the job's timezone for a time without one", () => {
    expect(parseSchedule("2030-02-01T09:00:00Z")).toMatchObject({ kind: "once", runAt: at("2030-02-01T09:00:00Z") });
    expect(parseSchedule("2030-02-01T09:00:00+02:00").runAt).toBe(at("2030-02-01T07:00:00Z"));
    expect(parseSchedule("2030-02-01T09:00", "Europe/Berlin").runAt).toBe(at("2030-02-01T08:00:00Z"));
    expect(parseSchedule("2030-02-01T09:00").runAt).toBe(at("2030-02-01T09:00:00Z"));
  });

  it("fires at its time and never after", () => {
    const schedule = parseSchedule("2030-02-01T09:00:00Z");
    expect(nextFireAfter(schedule, t0, t0)).toBe(at("2030-02-01T09:00:00Z"));
    expect(nextFireAfter(schedule, t0, at("2030-02-01T09:00:00Z"))).toBeNull();
    expect(latestFireAtOrBefore(schedule, t0, t0)).toBeNull();
    expect(latestFireAtOrBefore(schedule, t0, at("2030-02-01T09:00:00Z"))).toBe(at("2030-02-01T09:00:00Z"));
    expect(describeSchedule(schedule)).toBe("once at 2030-02-01 09:00 UTC");
  });

  it("refuses a time in the past, a date that does not exist, and a malformed time", () => {
    expect(thrown(() => requireUpcoming(parseSchedule("2029-12-31T23:59:00Z"), t0)).message).toBe(
      "Invalid schedule '2029-12-31T23:59:00Z': 2029-12-31T23:59:00.000Z is in the past",
    );
    expect(thrown(() => parseSchedule("2030-02-30T09:00:00Z")).message).toBe("Invalid schedule '2030-02-30T09:00:00Z': 2030-02-30 is not a date");
    const malformed = thrown(() => parseSchedule("2030-02-01T25:00:00Z"));
    expect(malformed).toMatchObject({ code: "invalid_schedule", param: "schedule" });
  });
});

describe("latestFireAtOrBefore: cron", () => {
  it("includes a fire exactly at the time asked", () => {
    const schedule = parseSchedule("*/5 * * * *");
    expect(latestFireAtOrBefore(schedule, t0, at("2030-01-07T10:05:00Z"))).toBe(at("2030-01-07T10:05:00Z"));
    expect(latestFireAtOrBefore(schedule, t0, at("2030-01-07T10:09:59Z"))).toBe(at("2030-01-07T10:05:00Z"));
  });
});
