import { mkdtempSync } from "node:fs";
import { rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, expect, it } from "vitest";
import { binPath, cleanEnv, type RunningCli, startCli } from "../../helpers/cli.ts";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { describeOwnRedis, type OwnRedis, startOwnRedis } from "../../helpers/redis-server.ts";
import { expectConsecutiveIds, expectSealedLog, readStoredRun } from "../../helpers/run-log.ts";
import { parseSse, readSse, type SseFrame } from "../../helpers/sse.ts";

const words = (count: number) => Array.from({ length: count }, (_, i) => `w${i}`).join(" ");

/**
 * A run whose storage goes away mid-run (a redis-server of the test's own, shut down and started
 * again on the same data): its events wait in memory and are written in order when the storage is
 * back, so the log has no gap; past `agent.runLeaseMs` the run fails (`storage_unavailable`) and the
 * log ends with that, never with `run.completed` after a hole.
 */
describeOwnRedis("a run through a storage outage", () => {
  let redis: OwnRedis;
  let upstream: FakeUpstream;
  let cwd: string;
  let cli: RunningCli | undefined;
  let spec: string;

  const launch = async (leaseMs: number) => {
    await writeFile(join(cwd, "hermes.config.ts"), `export default { agent: { runLeaseMs: ${leaseMs} } };\n`);
    spec = `${redis.url}/0?prefix=outage-${leaseMs}`;
    cli = await startCli(process.execPath, [binPath, "--port", "0"], {
      cwd,
      env: { HERMES_STORAGE: spec, HERMES_UPSTREAM_URL: upstream.url, HERMES_UPSTREAM_MODEL: "fake-model", HERMES_LOG_REQUESTS: "0" },
      envBase: cleanEnv(),
      timeoutMs: 20_000,
    });
    return cli;
  };
  /** Starts a slow run and follows it; resolves once a few events arrived. */
  const startFollowed = async (proxy: RunningCli, count: number, delayMs: number) => {
    upstream.enqueue({ text: words(count), delayMs });
    const { run_id: runId } = (await (await fetch(`${proxy.url}/v1/runs`, { method: "POST", body: JSON.stringify({ input: "count" }) })).json()) as {
      run_id: string;
    };
    const frames: { frame: SseFrame; at: number }[] = [];
    const done = (async () => {
      for await (const frame of readSse(await fetch(`${proxy.url}/v1/runs/${runId}/events`))) frames.push({ frame, at: Date.now() });
    })();
    await expect.poll(() => frames.length, { timeout: 10_000 }).toBeGreaterThanOrEqual(3);
    return { runId, frames, done };
  };

  beforeAll(async () => {
    redis = await startOwnRedis();
    upstream = await startFakeUpstream();
    cwd = mkdtempSync(join(tmpdir(), "hermes-outage-"));
  });
  afterEach(async (context) => {
    if (context.task.result?.state === "fail" && cli) console.log(cli.output().stderr.slice(-6_000));
    if (cli && cli.child.exitCode === null) {
      cli.child.kill("SIGTERM");
      await cli.exited;
    }
    upstream.reset();
  });
  afterAll(async () => {
    await redis?.close();
    await upstream?.close();
    await rm(cwd, { recursive: true, force: true });
  });

  it("an outage shorter than the lease: the events wait and are written in order; the run completes, its log whole", async () => {
    const proxy = await launch(8_000);
    const { runId, frames, done } = await startFollowed(proxy, 120, 25);
    await redis.stop("SIGTERM");
    const downAt = Date.now();
    await delay(1_500);
    await redis.start();
    const upAt = Date.now();
    await done;
    const seen = frames.map((entry) => entry.frame);
    expectConsecutiveIds(seen);
    expect(JSON.parse(seen.at(-1)!.data)).toMatchObject({ event: "run.completed", output: words(120) });
    // Nothing was given out while the storage was down: the follower waited, then got the rest in order.
    const during = frames.filter((entry) => entry.at > downAt + 200 && entry.at < upAt);
    expect(during).toEqual([]);
    const caughtUp = frames.find((entry) => entry.at >= upAt);
    console.log(
      `[storage-outage] 1.5 s outage: first event after the restart ${caughtUp ? caughtUp.at - upAt : "-"} ms after Redis answered; ${seen.length} events`,
    );

    const replay = parseSse(await (await fetch(`${proxy.url}/v1/runs/${runId}/events`)).text());
    expect(replay).toEqual(seen);
    const status = (await (await fetch(`${proxy.url}/v1/runs/${runId}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ status: "completed", output: words(120) });
    const stored = await readStoredRun(spec, runId);
    expect(expectSealedLog(stored, [seen]).count).toBe(seen.length);
    expect(stored.record).toMatchObject({ status: "completed", eventCount: seen.length });
  });

  it("an outage longer than the lease: the run fails storage_unavailable, and once the storage is back its log ends so, without a gap", async () => {
    const leaseMs = 1_500;
    const proxy = await launch(leaseMs);
    const { runId, frames, done } = await startFollowed(proxy, 400, 25);
    await redis.stop("SIGTERM");
    const downAt = Date.now();
    let abortedAfter = -1;
    void upstream.waitForAbort(leaseMs + 2_500).then(
      () => (abortedAfter = Date.now() - downAt),
      () => undefined,
    );
    await delay(leaseMs + 2_500);
    // The run stopped calling the model: it failed while the storage was down.
    const requestsBefore = upstream.requests.length;
    expect(abortedAfter).toBeGreaterThan(0);
    await redis.start();
    const upAt = Date.now();
    await done;
    console.log(
      `[storage-outage] ${leaseMs + 2_500} ms outage, lease ${leaseMs} ms: upstream call aborted ${abortedAfter} ms into it; follower ended ${Date.now() - upAt} ms after Redis answered`,
    );
    const seen = frames.map((entry) => entry.frame);
    expectConsecutiveIds(seen);
    const last = JSON.parse(seen.at(-1)!.data);
    expect(last).toMatchObject({ event: "run.failed", code: "storage_unavailable" });
    expect(seen.some((frame) => JSON.parse(frame.data).event === "run.completed")).toBe(false);
    expect(upstream.requests.length).toBe(requestsBefore);

    const status = (await (await fetch(`${proxy.url}/v1/runs/${runId}`)).json()) as Record<string, unknown>;
    expect(status).toMatchObject({ status: "failed", error: expect.any(String), error_code: "storage_unavailable" });
    expect(parseSse(await (await fetch(`${proxy.url}/v1/runs/${runId}/events`, { headers: { "last-event-id": "2" } })).text())).toEqual(seen.slice(2));
    const stored = await readStoredRun(spec, runId);
    expect(expectSealedLog(stored, [seen]).count).toBe(seen.length);
    expect(stored.record).toMatchObject({ status: "failed", eventCount: seen.length, error: { code: "storage_unavailable" } });
    // The process survived the outage and serves new runs.
    upstream.enqueue({ text: "after" });
    const next = (await (await fetch(`${proxy.url}/v1/runs`, { method: "POST", body: JSON.stringify({ input: "again" }) })).json()) as { run_id: string };
    const events = parseSse(await (await fetch(`${proxy.url}/v1/runs/${next.run_id}/events`)).text());
    expect(JSON.parse(events.at(-1)!.data)).toMatchObject({ event: "run.completed", output: "after" });
  });
});
