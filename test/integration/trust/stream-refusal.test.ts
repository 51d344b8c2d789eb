import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { sseJson } from "../../helpers/sse.ts";

/**
 * Issue 14, item 16: only an upstream 400 that refuses streaming itself makes the chat upstream call
 * again without streaming and remember the model; a 400 that merely mentions a stream reaches the
 * client after one call and changes nothing.
 */
describe("an upstream 400 about streaming, over real sockets", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, retryDelayMs: 5 } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const chat = (model: string) =>
    fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model, stream: true, messages: [{ role: "user", content: "hello there" }] }),
    });
  const envelope = (message: string, param: string | null) => ({ error: { message, type: "invalid_request_error", param, code: null } });

  it("a 400 that merely mentions a stream is sent once, reaches the client, and the model keeps streaming", async () => {
    const message = "Invalid 'tools[0].function.name': the tool 'stream_logs' has an invalid schema.";
    upstream.enqueue({ status: 400, body: envelope(message, null) });
    const refused = await chat("model-a");
    expect(refused.status).toBe(400);
    expect(await refused.json()).toEqual({ error: { message, type: "invalid_request_error", param: null, code: "upstream_rejected" } });
    expect(upstream.requests).toHaveLength(1);
    expect(upstream.requests[0]!.body.stream).toBe(true);

    const next = await chat("model-a");
    expect(next.status).toBe(200);
    expect(sseJson(await next.text()).at(-1)).toMatchObject({ choices: [{ finish_reason: "stop" }] });
    expect(upstream.requests.map((request) => request.body.stream)).toEqual([true, true]);
  });

  it("a 400 that refuses streaming is answered by one non-stream call, and the model is remembered", async () => {
    upstream.enqueue({ status: 400, body: envelope("Stream is not supported", null) }, { text: "plain answer" });
    const first = await chat("model-b");
    expect(first.status).toBe(200);
    expect(
      sseJson(await first.text())
        .map((chunk) => (chunk as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
        .join(""),
    ).toBe("plain answer");
    expect(upstream.requests.map((request) => request.body.stream)).toEqual([true, undefined]);

    const second = await chat("model-b");
    expect(second.status).toBe(200);
    await second.text();
    expect(upstream.requests.map((request) => request.body.stream)).toEqual([true, undefined, undefined]);
  });
});
