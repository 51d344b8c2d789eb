import { performance } from "node:perf_hooks";
import { setTimeout as delay } from "node:timers/promises";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { type Hygiene, watchHygiene } from "../../helpers/hygiene.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { readSse } from "../../helpers/sse.ts";
import { holdToolPlugin } from "./hold-tool.ts";

/**
 * Runs are detached: a follower that goes away stops nothing, and the run finishes whole. Only a
 * stop does, and then the upstream call and running tools are aborted at once.
 */

const words = Array.from({ length: 30 }, (_, i) => `w${i}`).join(" ");
const abortBudgetMs = 100;

describe("client faults: Runs", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let hygiene: Hygiene;
  const hold = holdToolPlugin();

  beforeAll(async () => {
    hygiene = watchHygiene();
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model", maxRetries: 0 }, plugins: [hold.plugin] });
  });
  afterEach(() => {
    upstream.reset();
    hold.state.reset();
  });
  afterAll(async () => {
    await proxy?.close();
    await upstream?.close();
    expect(await hygiene.leakedHandles()).toEqual({});
    expect(hygiene.unhandled).toEqual([]);
    hygiene.stop();
  });

  const startRun = async () => {
    const response = await fetch(`${proxy.url}/v1/runs`, { method: "POST", body: JSON.stringify({ input: "go" }) });
    expect(response.status).toBe(202);
    return ((await response.json()) as { run_id: string }).run_id;
  };
  const status = async (id: string) => (await (await fetch(`${proxy.url}/v1/runs/${id}`)).json()) as { status: string; output: string | null };
  const settled = async (id: string) => {
    for (let attempt = 0; attempt < 200; attempt++) {
      const record = await status(id);
      if (["completed", "failed", "cancelled"].includes(record.status)) return record;
      await delay(20);
    }
    throw new Error(`run ${id} never settled`);
  };

  it("goes on to the end when its follower disconnects mid-text", async () => {
    upstream.enqueue({ text: words, delayMs: 20 });
    const id = await startRun();
    const controller = new AbortController();
    const events = await fetch(`${proxy.url}/v1/runs/${id}/events`, { signal: controller.signal });
    for await (const frame of readSse(events)) if (JSON.parse(frame.data).event === "message.delta") break;
    controller.abort();

    expect(await settled(id)).toMatchObject({ status: "completed", output: words });
    expect(upstream.requests[0]?.aborted).toBe(false);
    // A new follower still gets the whole log, ending in run.completed.
    const replay = await (await fetch(`${proxy.url}/v1/runs/${id}/events`)).text();
    expect(replay).toContain('"event":"run.completed"');
  });

  // Retried like every latency check here: one event loop shared by client, proxy and upstream.
  it("goes on through a server tool when its follower disconnects", { retry: 2 }, async () => {
    upstream.enqueue({ toolCalls: [{ name: "hold", arguments: {} }] }, { text: "after the tool" });
    const id = await startRun();
    const controller = new AbortController();
    const events = fetch(`${proxy.url}/v1/runs/${id}/events`, { signal: controller.signal });
    await hold.state.started;
    controller.abort();
    await events.catch(() => {});
    await delay(100);
    expect(hold.state.abortedAt).toBeUndefined();
    expect((await status(id)).status).toBe("running");
    // Stopped on purpose: now the tool gets its signal.
    const stoppedAt = performance.now();
    await fetch(`${proxy.url}/v1/runs/${id}/stop`, { method: "POST" });
    expect(await settled(id)).toMatchObject({ status: "cancelled" });
    expect(hold.state.abortedAt! - stoppedAt).toBeLessThan(abortBudgetMs);
  });

  it("aborts the upstream call within 100 ms when stopped mid-text", { retry: 2 }, async () => {
    upstream.enqueue({ text: words, delayMs: 40 });
    const id = await startRun();
    const events = await fetch(`${proxy.url}/v1/runs/${id}/events`);
    const frames = readSse(events);
    for await (const frame of frames) if (JSON.parse(frame.data).event === "message.delta") break;
    const aborted = upstream.waitForAbort(2_000).then(() => performance.now());
    const stoppedAt = performance.now();
    await fetch(`${proxy.url}/v1/runs/${id}/stop`, { method: "POST" });
    expect((await aborted) - stoppedAt).toBeLessThan(abortBudgetMs);
    expect(await settled(id)).toMatchObject({ status: "cancelled" });
  });
});
