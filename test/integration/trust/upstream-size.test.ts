import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { parseSse } from "../../helpers/sse.ts";

/** Issue 14, item 17: an upstream body past `upstream.maxResponseBytes` is a 502 and a dropped connection. */
const limit = 1024 * 1024;

/** A chat chunk of `text`, as OpenAI streams it. */
const chunk = (text: string) => `data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: text }, finish_reason: null }] })}\n\n`;

/** A completion whose text is `bytes` long: valid JSON, just too much of it. */
const hugeCompletion = (bytes: number) =>
  JSON.stringify({ object: "chat.completion", choices: [{ index: 0, message: { role: "assistant", content: "x".repeat(bytes) }, finish_reason: "stop" }] });

describe("upstream response size bound, over real sockets", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ upstream: { baseURL: upstream.url, model: "fake-model", maxResponseBytes: limit, maxRetries: 0 } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const chat = (stream: boolean) =>
    fetch(`${proxy.url}/v1/chat/completions`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ model: "m", stream, messages: [{ role: "user", content: "hi" }] }),
    });
  const tooLarge = { code: "upstream_response_too_large", message: `The upstream's response exceeded ${limit} bytes (upstream.maxResponseBytes)` };

  /** Resolves once the fake upstream has seen `count` more connections closed. */
  async function connectionsClosed(before: number, count = 1): Promise<void> {
    for (const deadline = Date.now() + 3_000; upstream.closedConnections < before + count;) {
      if (Date.now() > deadline) throw new Error(`the upstream connection was not closed (${upstream.closedConnections - before} of ${count})`);
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
  }

  it("a JSON answer whose Content-Length is past the bound is a 502 before its body is read, and its connection is closed", async () => {
    const closed = upstream.closedConnections;
    upstream.enqueue({ status: 200, body: hugeCompletion(8 * limit), headers: { "content-type": "application/json" } });
    const response = await chat(false);
    expect(response.status).toBe(502);
    expect((await response.json()).error).toMatchObject({ ...tooLarge, type: "server_error" });
    await connectionsClosed(closed);
  });

  it("a chunked JSON answer (no Content-Length) to a streaming request fails once it runs past the bound", async () => {
    const closed = upstream.closedConnections;
    const body = hugeCompletion(3 * limit);
    const pieces = Array.from({ length: Math.ceil(body.length / 65_536) }, (_, index) => body.slice(index * 65_536, (index + 1) * 65_536));
    upstream.enqueue({ sse: pieces, headers: { "content-type": "application/json" } });
    const response = await chat(true);
    expect(response.status).toBe(502);
    expect((await response.json()).error).toMatchObject(tooLarge);
    await connectionsClosed(closed);
  });

  it("a stream whose total runs past the bound ends in an error frame after the text that fit, and the upstream is cut off", async () => {
    // 64 KiB chunks, each far under the per-event bound: only their total is too much.
    const piece = "y".repeat(64 * 1024);
    upstream.enqueue({ sse: [chunk("start "), ...Array.from({ length: 40 }, () => chunk(piece)), chunk("never")], delayMs: 1 });
    const response = await chat(true);
    expect(response.status).toBe(200);
    const frames = parseSse(await response.text());
    expect(frames.at(-1)!.data).toBe("[DONE]");
    const error = JSON.parse(frames.at(-2)!.data) as { error: { code: string; message: string } };
    expect(error.error).toMatchObject(tooLarge);
    const text = frames
      .slice(0, -2)
      .map((frame) => (JSON.parse(frame.data) as { choices: { delta: { content?: string } }[] }).choices[0]?.delta.content ?? "")
      .join("");
    expect(text.startsWith("start ")).toBe(true);
    expect(text.length).toBeLessThan(limit);
    expect(text).not.toContain("never");
    expect((await upstream.waitForAbort()).path).toBe("/v1/chat/completions");
  });

  it("an answer under the bound is untouched", async () => {
    upstream.enqueue({ status: 200, body: hugeCompletion(limit - 1024), headers: { "content-type": "application/json" } });
    const response = await chat(false);
    expect(response.status).toBe(200);
    expect((await response.json()).choices[0].message.content).toHaveLength(limit - 1024);
  });
});
