import { createStorage } from "unstorage";
import { describe, expect, it } from "vitest";
import { hermesConfigSchema } from "../../../src/config/schema.ts";
import { FireRunner } from "../../../src/jobs/fire.ts";
import { type JobFire, type JobRecord, newJob, summarize } from "../../../src/jobs/record.ts";
import { createJobStore } from "../../../src/jobs/store.ts";
import { createLocalCoordination } from "../../../src/state/local-coordination.ts";
import type { RunRecord } from "../../../src/state/runs.ts";
import type { SessionStore } from "../../../src/state/sessions.ts";
import type { Upstream } from "../../../src/upstream/types.ts";

const t0 = Date.parse("2030-01-07T10:00:00Z");

function runRecord(id: string, fields: Partial<RunRecord>): RunRecord {
  return {
    id,
    status: "running",
    createdAt: t0 / 1000,
    updatedAt: t0 / 1000,
    sessionId: id,
    model: "m",
    lastEvent: null,
    output: null,
    usage: null,
    error: null,
    approval: null,
    eventCount: 0,
    expiresAt: null,
    ...fields,
  };
}

/** A job with one fire in `fire`'s state, a runner whose `runs.get` answers from `runs`, and a clock. */
async function rig(fire: Partial<JobFire>, runs: Map<string, RunRecord>) {
  const storage = createStorage();
  const store = createJobStore(storage, createLocalCoordination(storage));
  const base = newJob(
    { id: "00000000abcd", name: "n", prompt: "p", instructions: null, schedule: "every 1d", kind: "interval", timezone: null, repeat: null, enabled: true },
    t0,
  );
  const stored: JobFire = {
    id: "fire_1",
    sequence: 1,
    jobId: base.id,
    trigger: "manual",
    scheduledFor: null,
    firedAt: t0,
    runId: null,
    status: "queued",
    output: null,
    outputTruncated: false,
    error: null,
    usage: null,
    completedAt: null,
    ...fire,
  };
  const job: JobRecord = { ...base, fireSequence: 1, lastFire: summarize(stored) };
  await store.insert(job);
  await store.putFire(stored);
  let now = t0;
  const runner = new FireRunner({
    store,
    runs: { start: async () => Promise.reject(new Error("not used")), get: async (id: string) => runs.get(id) ?? null },
    sessions: {} as SessionStore,
    config: hermesConfigSchema.parse({}),
    upstream: {} as Upstream,
    now: () => now,
    staleAfterMs: 30_000,
  });
  return { store, job, runner, advance: (ms: number) => (now += ms) };
}

describe("a fire whose process died", () => {
  it("is recorded failed with its run when another process settles the run (run_abandoned)", async () => {
    const run = runRecord("run_a", { status: "failed", error: { message: "gone", code: "run_abandoned" }, jobFire: { jobId: "00000000abcd", sequence: 1 } });
    const { store, job, runner } = await rig({ runId: "run_a", status: "running" }, new Map());
    runner.abandoned(run);
    await runner.settled();
    expect(await store.getFire(job.id, 1)).toMatchObject({ status: "failed", runId: "run_a", error: { code: "run_abandoned" } });
    expect((await store.get(job.id))?.lastFire).toMatchObject({ status: "failed", error: { code: "run_abandoned" } });
  });

  it("the scheduler's check: a fire left running whose run ended gets the run's end; one whose run is still live is left alone", async () => {
    const runs = new Map([["run_b", runRecord("run_b", { status: "running" })]]);
    const { store, job, runner } = await rig({ runId: "run_b", status: "running" }, runs);
    await runner.reconcile((await store.get(job.id))!);
    expect(await store.getFire(job.id, 1)).toMatchObject({ status: "running" });
    runs.set("run_b", runRecord("run_b", { status: "completed", output: "done" }));
    await runner.reconcile((await store.get(job.id))!);
    expect(await store.getFire(job.id, 1)).toMatchObject({ status: "completed", output: "done" });
    expect((await store.get(job.id))?.lastFire?.status).toBe("completed");
  });

  it("the scheduler's check: a fire whose run is gone is failed (run_abandoned)", async () => {
    const { store, job, runner } = await rig({ runId: "run_gone", status: "running" }, new Map());
    await runner.reconcile((await store.get(job.id))!);
    expect(await store.getFire(job.id, 1)).toMatchObject({ status: "failed", error: { code: "run_abandoned" } });
  });

  it("the scheduler's check: a fire still queued without a run past the bound is failed (fire_abandoned), not before", async () => {
    const { store, job, runner, advance } = await rig({ status: "queued" }, new Map());
    advance(29_000);
    await runner.reconcile((await store.get(job.id))!);
    expect(await store.getFire(job.id, 1)).toMatchObject({ status: "queued" });
    advance(1_000);
    await runner.reconcile((await store.get(job.id))!);
    expect(await store.getFire(job.id, 1)).toMatchObject({ status: "failed", runId: null, error: { code: "fire_abandoned" } });
    expect((await store.get(job.id))?.lastFire?.status).toBe("failed");
  });
});
