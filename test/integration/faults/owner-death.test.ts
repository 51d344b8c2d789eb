import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, beforeAll, expect, it } from "vitest";
import { binPath, cleanEnv, type RunningCli, startCli } from "../../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { jobsClient } from "../../helpers/jobs-api.ts";
import { describeRedis, redisSpec } from "../../helpers/redis.ts";
import { expectConsecutiveIds, expectSealedLog, readStoredRun } from "../../helpers/run-log.ts";
import { parseSse, readSse, type SseFrame } from "../../helpers/sse.ts";

const KEY = "owner-death-key-0123456789abcdef";
/** `agent.runLeaseMs` of both processes: short, so that the test waits seconds, not the default 20 s. */
const leaseMs = 1_500;
/** The documented bound: a lapsed lease is found within a third of the lease (the sweep), so 4/3 of it after the kill. */
const boundMs = (leaseMs * 4) / 3;
/** Process start-up, Redis round trips and a loaded machine, on top of the bound. */
const slackMs = 1_500;

const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(" ");

/**
 * kill -9 of the process running a run, with followers on another process sharing the Redis: the
 * other process settles the run within the lease bound, the follower ends with `run.failed`
 * (`run_abandoned`), a replay from any point gets the missing tail and that terminal event, the
 * status says failed, and the stored log is whole: positions 1…N each written once, sealed at N. The
 * same for a job fire, and for an owner that was only frozen past its lease (its late writes are refused).
 */
describeRedis("a run outlives the process running it", ({ prefix }) => {
  let upstream: FakeUpstream;
  let cwd: string;
  let spec: string;
  const processes: RunningCli[] = [];
  const headers = { authorization: `Bearer ${KEY}`, "content-type": "application/json" };
  const get = (cli: RunningCli, path: string, extra: Record<string, string> = {}) => fetch(`${cli.url}${path}`, { headers: { ...headers, ...extra } });
  const post = (cli: RunningCli, path: string, body: unknown) => fetch(`${cli.url}${path}`, { method: "POST", headers, body: JSON.stringify(body) });
  const launch = async () => {
    const cli = await startCli(process.execPath, [binPath, "--port", "0"], {
      cwd,
      env: { HERMES_STORAGE: spec, HERMES_API_KEY: KEY, HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_MODEL: "fake-model", HERMES_LOG_REQUESTS: "0" },
      envBase: cleanEnv(),
      timeoutMs: 20_000,
    });
    processes.push(cli);
    return cli;
  };
  const kill = async (cli: RunningCli) => {
    cli.child.kill("SIGKILL");
    expect((await cli.exited).signal).toBe("SIGKILL");
  };
  /** Follows a run's events from `cli` in the background; `frames` fills as they arrive. */
  const follow = (cli: RunningCli, runId: string) => {
    const frames: SseFrame[] = [];
    let endedAt = 0;
    const done = (async () => {
      for await (const frame of readSse(await get(cli, `/v1/runs/${runId}/events`))) frames.push(frame);
      endedAt = Date.now();
    })();
    return { frames, done, endedAt: () => endedAt };
  };

  beforeAll(async () => {
    cwd = mkdtempSync(join(tmpdir(), "hermes-owner-death-"));
    await writeFile(join(cwd, "hermes.config.ts"), `export default { agent: { runLeaseMs: ${leaseMs}, maxConcurrentRuns: 4 } };\n`);
    spec = redisSpec(`${prefix}:pair`);
    upstream = await startFakeUpstream();
  });
  afterAll(async () => {
    for (const cli of processes) if (cli.child.exitCode === null && cli.child.signalCode === null) cli.child.kill("SIGTERM");
    await Promise.all(processes.map((cli) => cli.exited.catch(() => undefined)));
    await upstream.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it("kill -9 of the owner: B's follower ends with run.failed run_abandoned within the bound, replays get the tail, the log is whole", async () => {
    const [a, b] = await Promise.all([launch(), launch()]);
    upstream.enqueue({ text: words(200), delayMs: 40 });
    const started = await post(a, "/v1/runs", { input: "count slowly" });
    expect(started.status).toBe(202);
    const { run_id: runId } = (await started.json()) as { run_id: string };
    const onB = follow(b, runId);
    await expect.poll(() => onB.frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(5);

    const killedAt = Date.now();
    await kill(a);
    await onB.done;
    const settledAfter = onB.endedAt() - killedAt;
    console.log(`[owner-death] run: follower on B ended ${settledAfter} ms after kill -9 (lease ${leaseMs} ms, bound ${boundMs} ms)`);
    expect(settledAfter).toBeLessThanOrEqual(boundMs + slackMs);

    // What B's follower saw: ids 1…N, each once, ending in the terminal event.
    expectConsecutiveIds(onB.frames);
    const last = JSON.parse(onB.frames.at(-1)!.data);
    expect(last).toMatchObject({ event: "run.failed", code: "run_abandoned", run_id: runId });
    expect(onB.frames.slice(0, -1).every((frame) => JSON.parse(frame.data).event === "message.delta")).toBe(true);
    const count = onB.frames.length;

    // A client that lost its stream resumes from B: the tail and the terminal event, nothing else.
    for (const after of [2, count - 1]) {
      const replay = parseSse(await (await get(b, `/v1/runs/${runId}/events`, { "last-event-id": String(after) })).text());
      expect(replay).toEqual(onB.frames.slice(after));
    }
    expect(parseSse(await (await get(b, `/v1/runs/${runId}/events`, { "last-event-id": String(count) })).text())).toEqual([]);
    const status = (await (await get(b, `/v1/runs/${runId}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ status: "failed", last_event: "run.failed", error: expect.any(String), error_code: "run_abandoned" });

    // Storage: positions 1…N each written once (no event overwritten by the settling write), sealed at N.
    const stored = await readStoredRun(spec, runId);
    expect(expectSealedLog(stored, [onB.frames]).count).toBe(count);
    expect(stored.record).toMatchObject({ status: "failed", eventCount: count, lastEvent: "run.failed", error: { code: "run_abandoned" } });
    await kill(b);
  });

  it("a job fire whose process was killed is settled by the other: failed (run_abandoned), not retried", async () => {
    const [a, b] = await Promise.all([launch(), launch()]);
    const api = jobsClient(b.url, KEY);
    const job = await api.create({ name: "slow", schedule: "every 1d", prompt: "take your time" });
    upstream.enqueue({ text: words(200), delayMs: 40 });
    const fired = await jobsClient(a.url, KEY).request("POST", `/api/jobs/${job.id}/run`);
    expect(fired.status).toBe(202);
    const runId = fired.body.run_id as string;
    const onB = follow(b, runId);
    await expect.poll(() => onB.frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    expect((await api.fires(job.id))[0]).toMatchObject({ run_id: runId, status: "running" });

    const killedAt = Date.now();
    await kill(a);
    await expect.poll(async () => (await api.fires(job.id))[0]?.status, { timeout: boundMs + slackMs + 2_000, interval: 50 }).toBe("failed");
    console.log(`[owner-death] job fire: failed on B ${Date.now() - killedAt} ms after kill -9`);
    await onB.done;
    expect(JSON.parse(onB.frames.at(-1)!.data)).toMatchObject({ event: "run.failed", code: "run_abandoned" });

    const fires = await api.fires(job.id);
    expect(fires).toHaveLength(1);
    expect(fires[0]).toMatchObject({ run_id: runId, status: "failed", trigger: "manual", error: { code: "run_abandoned" } });
    const jobNow = (await api.request("GET", `/api/jobs/${job.id}`)).body.job;
    expect(jobNow).toMatchObject({ last_status: "error", last_fire: { run_id: runId, status: "failed" } });
    expect(((await (await get(b, `/v1/runs/${runId}`)).json()) as { status: string }).status).toBe("failed");
    // No retry: the upstream saw the one request of the killed fire.
    await delay(leaseMs);
    expect(upstream.requests.filter((request) => JSON.stringify(request.body).includes("take your time"))).toHaveLength(1);
    expectSealedLog(await readStoredRun(spec, runId), [onB.frames]);
    await kill(b);
  });

  it("an owner frozen past its lease is settled by the other; once it wakes, its late writes are refused and the log stays whole", async () => {
    const [a, b] = await Promise.all([launch(), launch()]);
    upstream.enqueue({ text: words(200), delayMs: 30 });
    const { run_id: runId } = (await (await post(a, "/v1/runs", { input: "count" })).json()) as { run_id: string };
    const onB = follow(b, runId);
    await expect.poll(() => onB.frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);

    // SIGSTOP: the process and its Redis connections stay, but it renews nothing — as under a long GC
    // pause, a swapped-out host or a network partition.
    a.child.kill("SIGSTOP");
    await onB.done;
    expect(JSON.parse(onB.frames.at(-1)!.data)).toMatchObject({ event: "run.failed", code: "run_abandoned" });
    const settled = await readStoredRun(spec, runId);
    const { count } = expectSealedLog(settled, [onB.frames]);

    // Awake again with upstream words still arriving: every append it tries is refused by the seal.
    a.child.kill("SIGCONT");
    await expect.poll(async () => ((await (await get(a, `/v1/runs/${runId}`)).json()) as { status: string }).status, { timeout: 10_000 }).toBe("failed");
    await delay(500);
    const after = await readStoredRun(spec, runId);
    expect(expectSealedLog(after, [onB.frames]).count).toBe(count);
    expect(after.record).toMatchObject({ status: "failed", eventCount: count, error: { code: "run_abandoned" } });
    // Both processes now serve the same, settled log.
    const fromA = parseSse(await (await get(a, `/v1/runs/${runId}/events`)).text());
    expect(fromA).toEqual(onB.frames);
    expect(a.output().stderr).toContain("another process settled it");
    await Promise.all([kill(a), kill(b)]);
  });
});
