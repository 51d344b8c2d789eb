import { describe, expect, it } from "vitest";
import { overlayConfig } from "../../../src/config/overlay.ts";
import { hermesConfigSchema } from "../../../src/config/schema.ts";

describe("the jobs config section", () => {
  it("defaults to on, a 15 s poll, a one-hour catch-up window and 1,000 jobs", () => {
    expect(hermesConfigSchema.parse({}).jobs).toEqual({ enabled: true, pollIntervalMs: 15_000, catchUpWindowMs: 3_600_000, maxJobs: 1_000 });
  });

  it("is turned off by HERMES_JOBS=0, which names itself as the origin", () => {
    const { input, origins } = overlayConfig({ jobs: { enabled: true } }, { HERMES_JOBS: "0" }, {});
    expect(hermesConfigSchema.parse(input).jobs.enabled).toBe(false);
    expect(origins.get("jobs.enabled")).toBe("HERMES_JOBS");
  });

  it("refuses unknown fields and out-of-range values", () => {
    expect(hermesConfigSchema.safeParse({ jobs: { pollIntervalMs: 10 } }).success).toBe(false);
    expect(hermesConfigSchema.safeParse({ jobs: { catchUpWindowMs: -1 } }).success).toBe(false);
    expect(hermesConfigSchema.safeParse({ jobs: { cron: true } }).success).toBe(false);
  });
});
