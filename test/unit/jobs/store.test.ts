import { createStorage } from "unstorage";
import { describe, expect, it } from "vitest";
import { firesKept, type JobFire, newJob } from "../../../src/jobs/record.ts";
import { createJobStore } from "../../../src/jobs/store.ts";
import { createLocalCoordination } from "../../../src/state/local-coordination.ts";

const job = newJob(
  { id: "0123456789ab", name: "n", prompt: "p", instructions: null, schedule: "every 1m", kind: "interval", timezone: null, repeat: null, enabled: true },
  0,
);

const fire = (sequence: number): JobFire => ({
  id: `fire_${sequence}`,
  sequence,
  jobId: job.id,
  trigger: "schedule",
  scheduledFor: sequence * 60_000,
  firedAt: sequence * 60_000,
  runId: null,
  status: "queued",
  output: null,
  outputTruncated: false,
  error: null,
  usage: null,
  completedAt: null,
});

describe("the job store", () => {
  it(`keeps a job's latest ${firesKept} fires, newest first, and deletes them with the job`, async () => {
    const storage = createStorage();
    const store = createJobStore(storage, createLocalCoordination(storage));
    await store.insert(job);
    const total = firesKept + 5;
    for (let sequence = 1; sequence <= total; sequence++) {
      await store.update(job.id, (current) => ({ ...current!, fireSequence: sequence }));
      await store.putFire(fire(sequence));
    }
    const current = (await store.get(job.id))!;
    const fires = await store.fires(current);
    expect(fires.map((entry) => entry.sequence)).toEqual(Array.from({ length: firesKept }, (_, index) => total - index));
    expect(await storage.getKeys("job-fires:")).toHaveLength(firesKept);

    expect(await store.remove(job.id)).toBe(true);
    expect(await store.remove(job.id)).toBe(false);
    expect(await storage.getKeys("job-fires:")).toEqual([]);
    expect(await storage.getKeys("jobs:")).toEqual([]);
  });

  it("never brings back a fire deleted with its job", async () => {
    const storage = createStorage();
    const store = createJobStore(storage, createLocalCoordination(storage));
    await store.insert({ ...job, fireSequence: 1 });
    await store.putFire(fire(1));
    await store.remove(job.id);
    expect(await store.updateFire(job.id, 1, (current) => ({ ...current, status: "completed" }))).toBeNull();
    expect(await storage.getKeys("job-fires:")).toEqual([]);
  });

  it("reads an unreadable record as missing", async () => {
    const storage = createStorage();
    const store = createJobStore(storage, createLocalCoordination(storage));
    await storage.setItem("jobs:0123456789ab", "torn write");
    await store.insert({ ...job, id: "ba9876543210" });
    expect(await store.get("0123456789ab")).toBeNull();
    expect((await store.list()).map((entry) => entry.id)).toEqual(["ba9876543210"]);
  });
});
