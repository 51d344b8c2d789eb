import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { type FakeUpstream, startFakeUpstream } from "../../helpers/fake-upstream.ts";
import { startProxy, type TestProxy } from "../../helpers/proxy.ts";
import { parseSse } from "../../helpers/sse.ts";

/**
 * Issue 14, item 18: an answer the upstream cut short (`finish_reason: "length"` or `content_filter`)
 * is reported as cut short on the Runs status and on session chat, streamed or not; never as a whole answer.
 */
const KEY = "cut-short-test-key-0123456789abcdef";

describe("an answer cut short, over real sockets", () => {
  let upstream: FakeUpstream;
  let proxy: TestProxy;

  beforeAll(async () => {
    upstream = await startFakeUpstream();
    proxy = await startProxy({ server: { apiKey: KEY }, upstream: { baseURL: upstream.url, model: "fake-model" } });
  });
  afterEach(() => upstream.reset());
  afterAll(async () => {
    await proxy.close();
    await upstream.close();
  });

  const call = (method: string, path: string, body?: unknown) =>
    fetch(`${proxy.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      ...(body !== undefined && { body: JSON.stringify(body) }),
    });

  /** Starts a run, reads its events to the end, and returns its last event and its status object. */
  async function run(): Promise<{ last: Record<string, unknown>; status: Record<string, unknown> }> {
    const started = (await (await call("POST", "/v1/runs", { input: "Tell me a long story" })).json()) as { run_id: string };
    const frames = parseSse(await (await call("GET", `/v1/runs/${started.run_id}/events`)).text());
    const last = JSON.parse(frames.at(-1)!.data) as Record<string, unknown>;
    const status = (await (await call("GET", `/v1/runs/${started.run_id}`)).json()) as Record<string, unknown>;
    return { last, status };
  }

  it.each([
    ["length", "max_output_tokens"],
    ["content_filter", "content_filter"],
  ] as const)("Runs: finish_reason %s is status incomplete (%s) in GET /v1/runs/{id}, as in its run.completed", async (finishReason, reason) => {
    upstream.enqueue({ text: "Once upon a time", finishReason });
    const { last, status } = await run();
    expect(last).toMatchObject({ event: "run.completed", output: "Once upon a time", status: "incomplete", incomplete_reason: reason });
    expect(status).toMatchObject({ status: "incomplete", incomplete_reason: reason, output: "Once upon a time", last_event: "run.completed" });
  });

  it("Runs: a whole answer is completed, with no incomplete_reason", async () => {
    upstream.enqueue({ text: "The end." });
    const { status } = await run();
    expect(status.status).toBe("completed");
    expect(status).not.toHaveProperty("incomplete_reason");
  });

  it("session chat: partial: true and the reason, in the JSON answer and in the stream's assistant.completed", async () => {
    expect((await call("POST", "/api/sessions", { id: "cut-short" })).status).toBe(201);

    upstream.enqueue({ text: "Once upon a time", finishReason: "length" });
    const answer = (await (await call("POST", "/api/sessions/cut-short/chat", { message: "A story?" })).json()) as Record<string, unknown>;
    expect(answer).toMatchObject({ message: { content: "Once upon a time" }, partial: true, incomplete_reason: "max_output_tokens" });

    upstream.enqueue({ text: "There was a", finishReason: "length" });
    const frames = parseSse(await (await call("POST", "/api/sessions/cut-short/chat/stream", { message: "Go on" })).text());
    const completed = frames.find((frame) => frame.event === "assistant.completed");
    expect(JSON.parse(completed!.data)).toMatchObject({ content: "There was a", partial: true, incomplete_reason: "max_output_tokens" });

    upstream.enqueue({ text: "The end." });
    const whole = (await (await call("POST", "/api/sessions/cut-short/chat", { message: "Finish it" })).json()) as Record<string, unknown>;
    expect(whole).not.toHaveProperty("partial");
    expect(whole).not.toHaveProperty("incomplete_reason");
  });
});
