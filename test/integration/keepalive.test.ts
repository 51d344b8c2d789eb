import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../helpers/proxy.ts";

/**
 * Every SSE route sends `: keepalive` at `server.keepaliveMs` after its last write (±10 %), not "some
 * time within twice that": proxies and load balancers close streams idle for a fixed time.
 */

const KEY = "keepalive-key-0123456789abcdef";
const keepaliveMs = 150;

/** Reads a stream to its end, noting when each keepalive arrived and how long after the write before it. */
async function keepaliveGaps(response: Response): Promise<{ gaps: number[]; text: string }> {
  const reader = response.body!.getReader();
  const decoder = new TextDecoder();
  let text = "";
  let last = performance.now();
  const gaps: number[] = [];
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return { gaps, text };
    const now = performance.now();
    const chunk = decoder.decode(value, { stream: true });
    text += chunk;
    if (chunk.startsWith(": keepalive")) gaps.push(now - last);
    last = now;
  }
}

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)]!;

describe("keepalive comments on every SSE route", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ server: { apiKey: KEY, keepaliveMs }, upstream: { baseURL: upstream.url, model: "fake-model" } });
  });
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const post = (path: string, body: unknown) =>
    fetch(`${proxy.url}${path}`, {
      method: "POST",
      body: JSON.stringify(body),
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
    });

  /** A reply that goes silent for 700 ms after its first word. */
  const silentReply = () => upstream.enqueue({ text: "slow answer", delayMs: 700, delayFrom: 2 });

  const expectOnTime = (gaps: number[]) => {
    expect(gaps.length).toBeGreaterThanOrEqual(3);
    // Measured where the client reads, so each gap carries delivery jitter both ways (a write read
    // 40 ms late makes the next gap 40 ms short: seen on a loaded 2-core CI); the median is the
    // interval. The floor only catches a timer firing twice per interval. (Before, an interval timer
    // that skipped a tick after a write left up to twice it.)
    for (const gap of gaps) expect(gap).toBeGreaterThanOrEqual(keepaliveMs * 0.5);
    expect(median(gaps)).toBeGreaterThanOrEqual(keepaliveMs * 0.9);
    expect(median(gaps)).toBeLessThanOrEqual(keepaliveMs * 1.1);
  };

  it("Chat Completions", async () => {
    silentReply();
    const { gaps, text } = await keepaliveGaps(await post("/v1/chat/completions", { model: "m", stream: true, messages: [{ role: "user", content: "x" }] }));
    expect(text).toContain("data: [DONE]");
    expectOnTime(gaps);
  });

  it("Responses", async () => {
    silentReply();
    const { gaps, text } = await keepaliveGaps(await post("/v1/responses", { model: "m", stream: true, input: "x" }));
    expect(text).toContain("event: response.completed");
    expectOnTime(gaps);
  });

  it("Runs events", async () => {
    silentReply();
    const started = (await (await post("/v1/runs", { input: "x" })).json()) as { run_id: string };
    const events = await fetch(`${proxy.url}/v1/runs/${started.run_id}/events`, { headers: { authorization: `Bearer ${KEY}` } });
    const { gaps, text } = await keepaliveGaps(events);
    expect(text).toContain('"event":"run.completed"');
    expectOnTime(gaps);
  });
});
