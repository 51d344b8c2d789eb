import OpenAI from "openai";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { startFakeUpstream } from "../helpers/fake-upstream.ts";
import type { FakeUpstream } from "../helpers/fake-upstream.ts";

/**
 * The fake upstream checked against the official `openai` client: its streams must be good enough
 * for the SDK's own accumulators, or tests built on it prove nothing.
 */

let upstream: FakeUpstream;
let client: OpenAI;

beforeAll(async () => {
  upstream = await startFakeUpstream({ apiKey: "sk-fake" });
  client = new OpenAI({ baseURL: upstream.url, apiKey: "sk-fake", maxRetries: 0 });
});
afterEach(() => upstream.reset());
afterAll(() => upstream.close());

describe("fake upstream: Chat Completions", () => {
  it("streams text, tool calls and usage the SDK accumulates", async () => {
    upstream.enqueue({
      text: "Let me look.",
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_b", name: "get_time", arguments: { tz: "UTC" } },
      ],
      usage: { inputTokens: 10, outputTokens: 4 },
    });
    const stream = client.chat.completions.stream({
      model: "gpt-test",
      messages: [{ role: "user", content: "Hi" }],
      stream_options: { include_usage: true },
    });
    const completion = await stream.finalChatCompletion();
    expect(completion.choices[0]?.message).toMatchObject({
      content: "Let me look.",
      tool_calls: [
        { id: "call_a", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
        { id: "call_b", function: { name: "get_time", arguments: '{"tz":"UTC"}' } },
      ],
    });
    expect(completion.choices[0]?.finish_reason).toBe("tool_calls");
    expect(completion.usage).toMatchObject({ prompt_tokens: 10, completion_tokens: 4, total_tokens: 14 });
    expect(upstream.requests[0]?.body).toMatchObject({ model: "gpt-test", stream: true });
  });

  it("echoes the last user text by default, streamed or not", async () => {
    const body = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "echo me" }] });
    expect(body.choices[0]?.message.content).toBe("echo me");
    expect(body.model).toBe("m");
  });

  it("answers with scripted replies when the queue is empty", async () => {
    upstream.script((request) => ({ text: `you sent ${request.body.messages.length} messages` }));
    const body = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "a" }] });
    expect(body.choices[0]?.message.content).toBe("you sent 1 messages");
  });

  it("sends errors in the OpenAI envelope and checks the API key", async () => {
    upstream.enqueue({ status: 429, headers: { "retry-after": "0" } });
    await expect(client.chat.completions.create({ model: "m", messages: [] })).rejects.toMatchObject({
      status: 429,
      code: "rate_limit_exceeded",
    });
    const stranger = new OpenAI({ baseURL: upstream.url, apiKey: "wrong", maxRetries: 0 });
    await expect(stranger.models.list()).rejects.toMatchObject({ status: 401, code: "invalid_api_key" });
  });

  it("lists models", async () => {
    const models = await client.models.list();
    expect(models.data.map((model) => model.id)).toEqual(["fake-model", "fake-model-mini"]);
  });
});

describe("fake upstream: Responses", () => {
  it("streams reasoning, text and function calls the SDK accumulates", async () => {
    upstream.enqueue({
      reasoning: "Thinking it over.",
      text: "Checking.",
      toolCalls: [{ id: "call_1", name: "lookup", arguments: { q: "x" } }],
      usage: { inputTokens: 8, outputTokens: 6, reasoningTokens: 2 },
    });
    const stream = client.responses.stream({ model: "gpt-test", input: "Hi" });
    const deltas: string[] = [];
    stream.on("response.output_text.delta", (event) => deltas.push(event.delta));
    const response = await stream.finalResponse();
    expect(deltas.join("")).toBe("Checking.");
    expect(response.status).toBe("completed");
    expect(response.output.map((item) => item.type)).toEqual(["reasoning", "message", "function_call"]);
    expect(response.output_text).toBe("Checking.");
    expect(response.output[2]).toMatchObject({ call_id: "call_1", name: "lookup", arguments: '{"q":"x"}' });
    expect(response.usage).toMatchObject({ input_tokens: 8, output_tokens: 6, output_tokens_details: { reasoning_tokens: 2 } });
  });

  it("reports a length finish as incomplete, streamed with sequence numbers", async () => {
    upstream.enqueue({ text: "cut sho", finishReason: "length", responsesReasoning: "text", reasoning: "r" });
    const events = [];
    for await (const event of await client.responses.create({ model: "m", input: "Hi", stream: true })) events.push(event);
    expect(events.map((event) => event.sequence_number)).toEqual(events.map((_, index) => index));
    expect(events.at(-1)).toMatchObject({ type: "response.incomplete", response: { incomplete_details: { reason: "max_output_tokens" } } });
    expect(events.some((event) => event.type === "response.reasoning_text.delta")).toBe(true);
  });

  it("answers non-stream with the whole response", async () => {
    const response = await client.responses.create({
      model: "m",
      input: [{ role: "user", content: [{ type: "input_text", text: "echo this" }] }],
    });
    expect(response.output_text).toBe("echo this");
  });
});

describe("fake upstream: faults", () => {
  it("reports a client that goes away mid-stream", async () => {
    upstream.enqueue({ text: "a b c d e f g h", delayMs: 20 });
    const controller = new AbortController();
    const aborted = upstream.waitForAbort();
    const stream = await client.chat.completions.create(
      { model: "m", messages: [{ role: "user", content: "x" }], stream: true },
      { signal: controller.signal },
    );
    // The SDK ends an aborted stream quietly rather than throwing.
    for await (const chunk of stream) if (chunk.choices[0]?.delta.content) controller.abort();
    expect(await aborted).toMatchObject({ aborted: true, path: "/v1/chat/completions" });
  });

  it("refuses to stream without using up the reply", async () => {
    upstream.enqueue({ text: "plain", refuseStream: true });
    await expect(client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }], stream: true })).rejects.toMatchObject({
      status: 400,
      param: "stream",
    });
    const body = await client.chat.completions.create({ model: "m", messages: [{ role: "user", content: "x" }] });
    expect(body.choices[0]?.message.content).toBe("plain");
  });
});
