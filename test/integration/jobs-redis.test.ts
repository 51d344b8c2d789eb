import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { jobsClient } from "../helpers/jobs-api.ts";
import { type JobsProcess, startJobsProcess } from "../helpers/jobs-processes.ts";
import { describeRedis, redisSpec } from "../helpers/redis.ts";

const KEY = "jobs-redis-key-0123456789abcdef";
const minute = 60_000;
const start = Date.parse("2030-01-01T00:00:00Z");
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Two proxy processes on one Redis, their schedulers on fake clocks the test moves together: both find
 * every fire due at the same instant, and each fire runs exactly once (the claim is a compare-and-set
 * on the job's record in Redis). The upstream counts the runs.
 */
describeRedis("jobs on two processes sharing one Redis", ({ prefix }) => {
  let upstream: FakeUpstream;
  let processes: JobsProcess[] = [];

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    const config = {
      server: { apiKey: KEY },
      upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
      storage: redisSpec(`${prefix}:jobs`),
      agent: { maxConcurrentRuns: 50 },
    };
    processes = await Promise.all([startJobsProcess(config, start), startJobsProcess(config, start)]);
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await Promise.all(processes.map((child) => child.close()));
    await upstream.close();
  });

  it("each due fire runs exactly once, whichever process claims it", async () => {
    const [a, b] = processes as [JobsProcess, JobsProcess];
    const apiA = jobsClient(a.url, KEY);
    const apiB = jobsClient(b.url, KEY);
    const jobs = [
      await apiA.create({ name: "one", schedule: "every 1m", prompt: "job one" }),
      await apiB.create({ name: "two", schedule: "every 1m", prompt: "job two" }),
      await apiA.create({ name: "three", schedule: "* * * * *", prompt: "job three" }),
    ];
    const minutes = 5;
    for (let n = 1; n <= minutes; n++) {
      // Both clocks move to the same instant: both schedulers tick at each due time and race for it.
      await Promise.all([a.advance(minute), b.advance(minute)]);
      for (const job of jobs) await apiB.settledFires(job.id, n);
    }

    expect(upstream.requests).toHaveLength(jobs.length * minutes);
    const counts = new Map<string, number>();
    for (const request of upstream.requests) {
      const prompt = request.body.messages.at(-1).content as string;
      counts.set(prompt, (counts.get(prompt) ?? 0) + 1);
    }
    expect(Object.fromEntries(counts)).toEqual({ "job one": minutes, "job two": minutes, "job three": minutes });

    for (const job of jobs) {
      const fires = await apiA.fires(job.id);
      expect(fires.map((fire) => fire.scheduled_for)).toEqual(Array.from({ length: minutes }, (_, index) => iso(start + (minutes - index) * minute)));
      expect(fires.every((fire) => fire.status === "completed" && fire.trigger === "schedule")).toBe(true);
      expect(new Set(fires.map((fire) => fire.run_id)).size).toBe(minutes);
      // Each run is visible through the Runs API of either process.
      for (const fire of fires) expect((await apiB.request("GET", `/v1/runs/${fire.run_id}`)).body).toMatchObject({ status: "completed", output: fire.output });
      expect((await apiB.request("GET", `/api/jobs/${job.id}`)).body.job).toMatchObject({
        repeat: { completed: minutes },
        next_run_at: iso(start + (minutes + 1) * minute),
      });
    }
  });

  it("a pause on one process stops the fires of both", async () => {
    const [a, b] = processes as [JobsProcess, JobsProcess];
    const apiA = jobsClient(a.url, KEY);
    const job = await apiA.create({ name: "paused", schedule: "every 1m", prompt: "paused job" });
    await jobsClient(b.url, KEY).request("POST", `/api/jobs/${job.id}/pause`);
    await Promise.all([a.advance(3 * minute), b.advance(3 * minute)]);
    expect(upstream.requests.filter((request) => request.body.messages.at(-1).content === "paused job")).toHaveLength(0);
    expect(await apiA.fires(job.id)).toEqual([]);
  });
});
