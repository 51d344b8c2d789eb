import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy } from "../helpers/proxy.ts";
import { readSse } from "../helpers/sse.ts";

describe("graceful shutdown", () => {
  let upstream: FakeUpstream;
  beforeAll(async () => {
    upstream = await startFakeUpstream();
  });
  afterAll(() => upstream.close());

  const streamRequest = (url: string) =>
    fetch(`${url}/v1/chat/completions`, {
      method: "POST",
      body: JSON.stringify({ model: "m", stream: true, messages: [{ role: "user", content: "x" }] }),
    });

  it("lets a stream that ends within the wait finish normally", async () => {
    const proxy = await startProxy({ server: { shutdownTimeoutMs: 5_000 }, upstream: { baseURL: upstream.url, model: "fake-model" } });
    upstream.enqueue({ text: "a b c d e", delayMs: 40 });
    const response = await streamRequest(proxy.url);
    const closed = proxy.hermes.close();
    const body = await response.text();
    await closed;
    expect(body).toContain('"finish_reason":"stop"');
    expect(body.endsWith("data: [DONE]\n\n")).toBe(true);
    await proxy.close();
  });

  it("ends a stream still running after the wait with an error frame, and aborts its upstream call", async () => {
    const proxy = await startProxy({ server: { shutdownTimeoutMs: 150 }, upstream: { baseURL: upstream.url, model: "fake-model" } });
    upstream.enqueue({ text: Array.from({ length: 100 }, (_, i) => `w${i}`).join(" "), delayMs: 30 });
    const response = await streamRequest(proxy.url);
    const frames = readSse(response);
    await frames.next();
    const aborted = upstream.waitForAbort(3_000);
    const closed = proxy.hermes.close();
    const rest = [];
    for await (const frame of frames) rest.push(frame);
    await closed;
    const error = JSON.parse(rest.at(-2)?.data ?? "{}");
    expect(error.error).toMatchObject({ code: "server_shutting_down", type: "server_error" });
    expect(rest.at(-1)?.data).toBe("[DONE]");
    expect((await aborted).aborted).toBe(true);
    await proxy.close();
  });
});
