import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { jobsClient } from "../helpers/jobs-api.ts";
import { FakeJobClock } from "../helpers/jobs-clock.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

const KEY = "jobs-restart-key-0123456789abcdef";
const minute = 60_000;
const at = (time: string) => Date.parse(`2030-01-01T${time}Z`);
const iso = (ms: number) => new Date(ms).toISOString();

/**
 * The missed-fire rule across a restart, on a file storage: a job whose latest missed fire is within
 * the catch-up window fires once (trigger `catch-up`) when the server starts again, however many fires
 * were missed; an older miss is skipped; either way the schedule continues from now.
 */
describe("jobs across a restart", () => {
  let upstream: FakeUpstream;
  let directory: string;
  let proxy: TestProxy | undefined;
  const clock = new FakeJobClock(at("00:00:00"));
  const launch = async (storageDirectory = directory) => {
    proxy = await startProxy(
      {
        server: { apiKey: KEY, shutdownTimeoutMs: 100 },
        upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 },
        storage: `fs:${storageDirectory}`,
      },
      { jobClock: clock },
    );
    return jobsClient(proxy.url, KEY);
  };

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    directory = await mkdtemp(join(tmpdir(), "hermes-jobs-restart-"));
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream.close();
    await rm(directory, { recursive: true, force: true });
  });

  it("catches up once within the window, skips older misses, then continues from now", async () => {
    let api = await launch();
    const everyMinute = await api.create({ name: "every minute", schedule: "every 1m", prompt: "minute job" });
    const daily = await api.create({ name: "daily at nine", schedule: "0 9 * * *", prompt: "daily job" });
    const once = await api.create({ name: "once at ten", schedule: "2030-01-01T10:00:00Z", prompt: "once job" });
    await proxy!.close();

    // Down from midnight to 10:30:10: 630 minute fires, the 09:00 daily fire and the 10:00 single fire were missed.
    clock.set(at("10:30:10"));
    api = await launch();
    const prompts = upstream.requests.map((request) => request.body.messages.at(-1).content).sort();
    expect(prompts).toEqual(["minute job", "once job"]);

    const minuteFires = await api.settledFires(everyMinute.id, 1);
    expect(minuteFires.map((fire) => [fire.trigger, fire.scheduled_for, fire.fired_at, fire.status])).toEqual([
      ["catch-up", iso(at("10:30:00")), iso(at("10:30:10")), "completed"],
    ]);
    expect((await api.request("GET", `/api/jobs/${everyMinute.id}`)).body.job).toMatchObject({
      state: "scheduled",
      next_run_at: iso(at("10:31:00")),
      repeat: { completed: 1 },
    });

    const onceFires = await api.settledFires(once.id, 1);
    expect(onceFires.map((fire) => [fire.trigger, fire.scheduled_for])).toEqual([["catch-up", iso(at("10:00:00"))]]);
    expect((await api.request("GET", `/api/jobs/${once.id}`)).body.job).toMatchObject({ state: "completed", next_run_at: null });

    // 09:00 was 90 minutes ago, beyond the default one-hour window: skipped, on to tomorrow.
    expect(await api.fires(daily.id)).toEqual([]);
    expect((await api.request("GET", `/api/jobs/${daily.id}`)).body.job).toMatchObject({
      state: "scheduled",
      next_run_at: "2030-01-02T09:00:00.000Z",
      last_fire: null,
      repeat: { completed: 0 },
    });

    // And the schedule goes on as usual.
    await clock.advance(minute);
    const next = await api.settledFires(everyMinute.id, 2);
    expect(next.map((fire) => [fire.trigger, fire.scheduled_for])).toEqual([
      ["schedule", iso(at("10:31:00"))],
      ["catch-up", iso(at("10:30:00"))],
    ]);
    expect(upstream.requests).toHaveLength(3);
    await proxy!.close();
    proxy = undefined;
  });

  it("a shutdown records the end of a fire's run before the storage closes", async () => {
    const elsewhere = await mkdtemp(join(tmpdir(), "hermes-jobs-shutdown-"));
    try {
      let api = await launch(elsewhere);
      const job = await api.create({ name: "slow", schedule: "every 1m", prompt: "take your time" });
      upstream.enqueue({ hang: true });
      await clock.advance(minute);
      await expect.poll(() => upstream.requests.filter((request) => request.body.messages.at(-1).content === "take your time").length).toBe(1);
      await proxy!.close();

      api = await launch(elsewhere);
      const fires = await api.fires(job.id);
      expect(fires.map((fire) => [fire.trigger, fire.status, typeof fire.run_id])).toEqual([["schedule", "interrupted", "string"]]);
      expect((await api.request("GET", `/api/jobs/${job.id}`)).body.job).toMatchObject({ last_status: "error", last_fire: { status: "interrupted" } });
    } finally {
      await proxy?.close();
      proxy = undefined;
      await rm(elsewhere, { recursive: true, force: true });
    }
  });
});
