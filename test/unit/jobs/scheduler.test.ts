import { createStorage } from "unstorage";
import { describe, expect, it } from "vitest";
import { type JobDefinition, type JobRecord, newJob, reschedule } from "../../../src/jobs/record.ts";
import { parseSchedule } from "../../../src/jobs/schedule.ts";
import { JobScheduler } from "../../../src/jobs/scheduler.ts";
import type { JobFire } from "../../../src/jobs/record.ts";
import { createJobStore, type JobStore } from "../../../src/jobs/store.ts";
import { createLocalCoordination } from "../../../src/state/local-coordination.ts";
import { FakeJobClock } from "../../helpers/jobs-clock.ts";

const minute = 60_000;
const t0 = Date.parse("2030-01-07T10:00:00Z");

/** A scheduler on a memory storage and a fake clock; `launched` records the fires it hands over to run. */
function rig(options: { start?: number; catchUpWindowMs?: number } = {}) {
  const storage = createStorage();
  const store = createJobStore(storage, createLocalCoordination(storage));
  const clock = new FakeJobClock(options.start ?? t0);
  const launched: JobFire[] = [];
  const scheduler = new JobScheduler({
    store,
    clock,
    pollIntervalMs: 15_000,
    catchUpWindowMs: options.catchUpWindowMs ?? 60 * minute,
    launch: async (_job, fire) => {
      launched.push(fire);
    },
  });
  return { store, clock, launched, scheduler };
}

let sequence = 0;
/** Stores a job as the API creates one, at `now`. */
async function addJob(store: JobStore, now: number, fields: Partial<JobDefinition> & { schedule: string }): Promise<JobRecord> {
  const schedule = parseSchedule(fields.schedule, fields.timezone ?? null);
  const job = newJob(
    {
      id: (sequence++).toString(16).padStart(12, "0"),
      name: "test job",
      prompt: "Say hi",
      instructions: null,
      kind: schedule.kind,
      timezone: null,
      repeat: null,
      enabled: true,
      ...fields,
    },
    now,
  );
  await store.insert(job);
  return job;
}

describe("the job scheduler, on a fake clock", () => {
  it("fires a job when it is due and not a moment before, then keeps to its schedule", async () => {
    const { store, clock, launched, scheduler } = rig();
    const job = await addJob(store, t0, { schedule: "every 1m" });
    await scheduler.start();
    await clock.advance(minute - 1);
    expect(launched).toEqual([]);
    await clock.advance(1);
    expect(launched).toHaveLength(1);
    expect(launched[0]).toMatchObject({ jobId: job.id, sequence: 1, trigger: "schedule", scheduledFor: t0 + minute, firedAt: t0 + minute, status: "queued" });
    expect(await store.get(job.id)).toMatchObject({
      nextRunAt: t0 + 2 * minute,
      fireCount: 1,
      fireSequence: 1,
      lastRunAt: t0 + minute,
      lastFire: { id: launched[0]!.id, status: "queued" },
    });
    await clock.advance(3 * minute);
    expect(launched.map((fire) => fire.scheduledFor)).toEqual([1, 2, 3, 4].map((n) => t0 + n * minute));
    await scheduler.stop();
  });

  it("fires cron expressions at their times", async () => {
    const { store, clock, launched, scheduler } = rig({ start: t0 + 30_000 });
    await addJob(store, t0 + 30_000, { schedule: "*/5 * * * *" });
    await scheduler.start();
    await clock.advance(12 * minute);
    expect(launched.map((fire) => new Date(fire.firedAt).toISOString())).toEqual(["2030-01-07T10:05:00.000Z", "2030-01-07T10:10:00.000Z"]);
    await scheduler.stop();
  });

  it("completes a job after `repeat` scheduled fires", async () => {
    const { store, clock, launched, scheduler } = rig();
    const job = await addJob(store, t0, { schedule: "every 1m", repeat: 2 });
    await scheduler.start();
    await clock.advance(5 * minute);
    expect(launched).toHaveLength(2);
    expect(await store.get(job.id)).toMatchObject({ state: "completed", nextRunAt: null, fireCount: 2 });
    await scheduler.stop();
  });

  it("fires a once job at its time, then completes it", async () => {
    const { store, clock, launched, scheduler } = rig();
    const job = await addJob(store, t0, { schedule: "2030-01-07T10:01:30Z" });
    await scheduler.start();
    await clock.advance(10 * minute);
    expect(launched.map((fire) => fire.firedAt)).toEqual([t0 + 90_000]);
    expect(await store.get(job.id)).toMatchObject({ state: "completed", nextRunAt: null, fireCount: 1 });
    await scheduler.stop();
  });

  it("does not fire a paused job; a resumed one counts its next fire from the resume", async () => {
    const { store, clock, launched, scheduler } = rig();
    const job = await addJob(store, t0, { schedule: "every 1m", enabled: false });
    expect(job).toMatchObject({ state: "paused", nextRunAt: null });
    await scheduler.start();
    await clock.advance(5 * minute + 20_000);
    expect(launched).toEqual([]);
    const resumedAt = clock.now();
    const resumed = await store.update(job.id, (current) => reschedule({ ...current!, enabled: true, anchorAt: resumedAt }, resumedAt));
    scheduler.notify(resumed!.nextRunAt);
    expect(resumed).toMatchObject({ state: "scheduled", nextRunAt: resumedAt + minute });
    await clock.advance(minute);
    expect(launched.map((fire) => fire.scheduledFor)).toEqual([resumedAt + minute]);
    await scheduler.stop();
  });

  it("stops ticking when stopped", async () => {
    const { store, clock, launched, scheduler } = rig();
    await addJob(store, t0, { schedule: "every 1m" });
    await scheduler.start();
    await scheduler.stop();
    expect(clock.pending).toBe(0);
    await clock.advance(5 * minute);
    expect(launched).toEqual([]);
  });
});

describe("the missed-fire rule", () => {
  it("after a restart, fires once for the latest missed time within the window, then continues from now", async () => {
    const seed = rig();
    const job = await addJob(seed.store, t0, { schedule: "every 1m" });
    // The process is gone for 30 minutes and 10 seconds: 30 fires were missed.
    const { store, launched, scheduler } = rig({ start: t0 + 30 * minute + 10_000 });
    await store.insert(job);
    await scheduler.start();
    expect(launched).toHaveLength(1);
    expect(launched[0]).toMatchObject({ trigger: "catch-up", scheduledFor: t0 + 30 * minute, firedAt: t0 + 30 * minute + 10_000 });
    expect(await store.get(job.id)).toMatchObject({ nextRunAt: t0 + 31 * minute, fireCount: 1 });
    await scheduler.stop();
  });

  it("counts from the latest missed time: an every-minute job down for hours still catches up once", async () => {
    const { store, launched, scheduler } = rig({ start: t0 + 180 * minute + 5_000 });
    await addJob(store, t0, { schedule: "every 1m" });
    await scheduler.start();
    expect(launched.map((fire) => [fire.trigger, fire.scheduledFor])).toEqual([["catch-up", t0 + 180 * minute]]);
    await scheduler.stop();
  });

  it("skips a missed fire older than the window, and continues from now", async () => {
    const { store, launched, scheduler } = rig({ start: Date.parse("2030-01-07T11:00:00Z") });
    const job = await addJob(store, t0 - 10 * minute, { schedule: "0 9 * * *" });
    await store.update(job.id, (current) => ({ ...current!, nextRunAt: Date.parse("2030-01-07T09:00:00Z") }));
    await scheduler.start();
    expect(launched).toEqual([]);
    expect(await store.get(job.id)).toMatchObject({ state: "scheduled", nextRunAt: Date.parse("2030-01-08T09:00:00Z"), fireCount: 0, lastFire: null });
    await scheduler.stop();
  });

  it("a wider window catches the same miss up", async () => {
    const { store, launched, scheduler } = rig({ start: Date.parse("2030-01-07T11:00:00Z"), catchUpWindowMs: 3 * 60 * minute });
    const job = await addJob(store, t0 - 10 * minute, { schedule: "0 9 * * *" });
    await store.update(job.id, (current) => ({ ...current!, nextRunAt: Date.parse("2030-01-07T09:00:00Z") }));
    await scheduler.start();
    expect(launched.map((fire) => [fire.trigger, new Date(fire.scheduledFor!).toISOString()])).toEqual([["catch-up", "2030-01-07T09:00:00.000Z"]]);
    await scheduler.stop();
  });
});

describe("claims", () => {
  it("two schedulers finding the same fire due: exactly one launches it", async () => {
    const { store, clock } = rig();
    const launched: string[] = [];
    const scheduler = (name: string) =>
      new JobScheduler({
        store,
        clock,
        pollIntervalMs: 15_000,
        catchUpWindowMs: 60 * minute,
        launch: async (_job, fire) => void launched.push(`${name}:${fire.scheduledFor}`),
      });
    const [a, b] = [scheduler("a"), scheduler("b")];
    await addJob(store, t0, { schedule: "every 1m" });
    for (let n = 1; n <= 10; n++) {
      clock.set(t0 + n * minute);
      await Promise.all([a.tick(), b.tick()]);
    }
    expect(launched.map((entry) => Number(entry.split(":")[1]))).toEqual(Array.from({ length: 10 }, (_, index) => t0 + (index + 1) * minute));
  });
});
