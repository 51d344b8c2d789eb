import { z } from "zod";

/** Scheduled runs (`/api/jobs`): the API and the scheduler that fires due jobs as Runs API runs. */
export const jobsConfigSchema = z
  .strictObject({
    /** Serve `/api/jobs*` and run the scheduler. `HERMES_JOBS=0` turns both off. @default true */
    enabled: z.boolean().default(true),
    /**
     * The scheduler's longest sleep. It wakes at the earliest fire it knows of, and at least this often
     * to see jobs created or changed by other processes on a shared storage. @default 15_000
     */
    pollIntervalMs: z.number().int().min(100).max(3_600_000).default(15_000),
    /**
     * After a restart (or a suspended host), a job whose latest missed fire is at most this old fires
     * once; an older miss is skipped. Either way its schedule continues from now. @default 3_600_000 (1 hour)
     */
    catchUpWindowMs: z.number().int().min(0).default(3_600_000),
    /** Jobs kept at most; creating one more is a 409 `job_limit_reached`. @default 1_000 */
    maxJobs: z.number().int().positive().max(100_000).default(1_000),
  })
  .prefault({});
