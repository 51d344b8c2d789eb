import { Agent, request } from "undici";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { type Hygiene, watchHygiene } from "../../helpers/hygiene.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { parseSse } from "../../helpers/sse.ts";

/**
 * The quick version of scripts/load-soak.ts: 100 streams open at once, Chat and Responses, each
 * paced by the upstream so that they overlap; every one must arrive whole, in order and properly
 * ended, none mixed with another, and nothing may stay open afterwards.
 */

const streams = 100;

describe("concurrent streams", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;
  let hygiene: Hygiene;
  let dispatcher: Agent;

  beforeAll(async () => {
    hygiene = watchHygiene();
    upstream = await startFakeUpstream();
    upstream.script(() => ({ delayMs: 10 }));
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model" } });
    dispatcher = new Agent({ connections: streams + 10 });
  });
  afterAll(async () => {
    await dispatcher?.close();
    await proxy?.close();
    await upstream?.close();
    expect(await hygiene.leakedHandles()).toEqual({});
    expect(hygiene.unhandled).toEqual([]);
    hygiene.stop();
  });

  async function stream(index: number): Promise<{ expected: string; answer: string; end: string | undefined }> {
    const expected = Array.from({ length: 12 }, (_, word) => `s${index}w${word}`).join(" ");
    const chat = index % 2 === 0;
    const response = await request(`${proxy.url}/v1/${chat ? "chat/completions" : "responses"}`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(
        chat ? { model: "m", stream: true, messages: [{ role: "user", content: expected }] } : { model: "m", stream: true, input: expected, store: false },
      ),
      dispatcher,
    });
    const frames = parseSse(await response.body.text());
    let answer = "";
    for (const frame of frames) {
      if (frame.data === "[DONE]") continue;
      const data = JSON.parse(frame.data);
      answer += chat ? (data.choices?.[0]?.delta?.content ?? "") : data.type === "response.output_text.delta" ? data.delta : "";
    }
    return { expected, answer, end: chat ? frames.at(-1)?.data : frames.at(-1)?.event };
  }

  it(`${streams} overlapping streams each arrive whole`, async () => {
    const started = Date.now();
    const results = await Promise.all(Array.from({ length: streams }, (_, index) => stream(index)));
    for (const [index, result] of results.entries()) {
      expect(result.answer).toBe(result.expected);
      expect(result.end).toBe(index % 2 === 0 ? "[DONE]" : "response.completed");
    }
    // They overlapped: far less than one after another (each takes ~120 ms upstream).
    expect(Date.now() - started).toBeLessThan(streams * 120);
    expect(upstream.requests).toHaveLength(streams);
  });
});
