import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { upstreamConfigSchema } from "../../src/config/schema.ts";
import type { HermesConfig } from "../../src/config/schema.ts";
import { HermesError } from "../../src/protocol/index.ts";
import type { HermesEvent, NewId, RunInput } from "../../src/protocol/index.ts";
import { createChatUpstream } from "../../src/upstream/chat/index.ts";
import type { Upstream } from "../../src/upstream/types.ts";
import { startFakeUpstream } from "../helpers/fake-upstream.ts";
import type { FakeUpstream } from "../helpers/fake-upstream.ts";

const API_KEY = "sk-upstream-secret-1234";

let upstream: FakeUpstream;
const opened: Upstream[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream({ apiKey: API_KEY });
});
afterEach(async () => {
  upstream.reset();
  await Promise.all(opened.splice(0).map((chat) => chat.close()));
});
afterAll(() => upstream.close());

/** A chat upstream pointed at the fake one; fast retries unless a test says otherwise. */
function chatUpstream(overrides: Partial<HermesConfig["upstream"]> = {}): Upstream {
  const chat = createChatUpstream(
    upstreamConfigSchema.parse({ baseURL: upstream.url, apiKey: API_KEY, retryDelayMs: 5, ...overrides }),
  );
  opened.push(chat);
  return chat;
}

function sequentialIds(): NewId {
  let n = 0;
  return (prefix) => `${prefix}${++n}`;
}

const input = (overrides: Partial<RunInput> = {}): RunInput => ({
  model: "gpt-test",
  items: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] }],
  tools: [],
  ...overrides,
});

async function collect(chat: Upstream, runInput = input(), signal = AbortSignal.timeout(10_000)): Promise<HermesEvent[]> {
  const events: HermesEvent[] = [];
  for await (const batch of chat.stream(runInput, { signal, newId: sequentialIds() })) events.push(...batch);
  return events;
}

/** Runs a stream that must fail; returns what arrived before the failure and the failure. */
async function collectFailure(chat: Upstream, runInput = input(), signal = AbortSignal.timeout(10_000)) {
  const events: HermesEvent[] = [];
  try {
    for await (const batch of chat.stream(runInput, { signal, newId: sequentialIds() })) events.push(...batch);
  } catch (error) {
    return { events, error: error as HermesError };
  }
  throw new Error(`expected a failure, got ${JSON.stringify(events)}`);
}

const textOf = (events: HermesEvent[]) => events.find((event) => event.type === "message.completed");

describe("createChatUpstream: streaming", () => {
  it("streams text deltas and reports usage", async () => {
    upstream.enqueue({ text: "Hello world", usage: { inputTokens: 12, outputTokens: 2 } });
    expect(await collect(chatUpstream())).toEqual([
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Hello" },
      { type: "text.delta", itemId: "msg_1", delta: " world" },
      { type: "message.completed", itemId: "msg_1", text: "Hello world" },
      {
        type: "step.completed",
        finishReason: "stop",
        usage: { inputTokens: 12, outputTokens: 2, totalTokens: 14, reasoningTokens: 0, cachedTokens: 0 },
      },
    ]);
  });

  it("sends the model, messages, tools, stream_options and the API key", async () => {
    const tools = [{ name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} } }];
    await collect(chatUpstream(), input({ instructions: "Be brief.", tools, toolChoice: "auto", temperature: 0.5 }));
    const [request] = upstream.requests;
    expect(request).toMatchObject({ method: "POST", path: "/v1/chat/completions" });
    expect(request!.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    });
    expect(request!.body).toEqual({
      model: "gpt-test",
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: "Hi" },
      ],
      tools: [{ type: "function", function: tools[0] }],
      tool_choice: "auto",
      temperature: 0.5,
      stream: true,
      stream_options: { include_usage: true },
    });
  });

  it("streams a single tool call", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_w", name: "get_weather", arguments: { city: "Paris" } }] });
    const events = await collect(chatUpstream());
    expect(events[0]).toEqual({ type: "tool.call.started", callId: "call_w", itemId: "fc_1", name: "get_weather" });
    const deltas = events.flatMap((event) => (event.type === "tool.call.delta" ? [event.delta] : []));
    expect(deltas.length).toBeGreaterThan(1);
    expect(deltas.join("")).toBe('{"city":"Paris"}');
    expect(events.slice(-2)).toEqual([
      { type: "tool.call.completed", callId: "call_w", itemId: "fc_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      expect.objectContaining({ type: "step.completed", finishReason: "tool_calls" }),
    ]);
  });

  it("streams parallel tool calls one after the other", async () => {
    upstream.enqueue({
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_b", name: "get_time", arguments: { tz: "Asia/Tokyo" } },
      ],
    });
    const events = await collect(chatUpstream());
    const lifecycle = events.filter((event) => event.type === "tool.call.started" || event.type === "tool.call.completed");
    expect(lifecycle).toEqual([
      { type: "tool.call.started", callId: "call_a", itemId: "fc_1", name: "get_weather" },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "tool.call.started", callId: "call_b", itemId: "fc_2", name: "get_time" },
      { type: "tool.call.completed", callId: "call_b", itemId: "fc_2", name: "get_time", arguments: '{"tz":"Asia/Tokyo"}' },
    ]);
  });

  it("streams reasoning before the answer", async () => {
    upstream.enqueue({ reasoning: "Two plus two.", text: "4", usage: { reasoningTokens: 3 } });
    const events = await collect(chatUpstream());
    expect(events.map((event) => event.type)).toEqual([
      "reasoning.started",
      "reasoning.delta",
      "reasoning.delta",
      "reasoning.delta",
      "reasoning.completed",
      "message.started",
      "text.delta",
      "message.completed",
      "step.completed",
    ]);
    expect(events.at(-1)).toMatchObject({ usage: { reasoningTokens: 3 } });
  });

  it("lists the upstream's models", async () => {
    upstream.models = ["gpt-a", "gpt-b"];
    expect(await chatUpstream().listModels!()).toEqual(["gpt-a", "gpt-b"]);
    expect(upstream.requests[0]).toMatchObject({ method: "GET", path: "/v1/models" });
  });

  it("reuses one keep-alive connection across calls", async () => {
    const chat = chatUpstream();
    const before = upstream.connections;
    for (let call = 0; call < 3; call++) {
      await collect(chat);
      // undici frees a connection a tick after the body ends; back-to-back calls would open a second.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(upstream.connections - before).toBe(1);
  });

  it("ends at [DONE] at once, even when the upstream keeps the body open", async () => {
    const chunk = (delta: object, finish: string | null = null) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: finish }] })}\n\n`;
    upstream.enqueue({ sse: [chunk({ content: "Hi" }), chunk({}, "stop"), "data: [DONE]\n\n", ": never sent\n\n"], stallAfter: 3 });
    const started = performance.now();
    const events = await collect(chatUpstream({ idleTimeoutMs: 10_000 }));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(textOf(events)).toMatchObject({ text: "Hi" });
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "stop" });
  });
});

describe("createChatUpstream: non-stream fallback", () => {
  it("retries without streaming when the upstream refuses to stream, and remembers it", async () => {
    upstream.enqueue({ text: "No streaming here", refuseStream: true });
    const chat = chatUpstream();
    expect(textOf(await collect(chat))).toMatchObject({ text: "No streaming here" });
    expect(upstream.requests.map((request) => request.body.stream)).toEqual([true, undefined]);
    expect(upstream.requests[1]!.body).not.toHaveProperty("stream_options");

    upstream.enqueue({ text: "Again" });
    expect(textOf(await collect(chat))).toMatchObject({ text: "Again" });
    expect(upstream.requests).toHaveLength(3);
    expect(upstream.requests[2]!.body).not.toHaveProperty("stream");
  });

  it("decodes a JSON body sent in answer to a streaming request, without a second call", async () => {
    upstream.enqueue({ text: "Whole body", toolCalls: [{ id: "call_1", name: "now" }], ignoreStream: true });
    const events = await collect(chatUpstream());
    expect(textOf(events)).toMatchObject({ text: "Whole body" });
    expect(events.find((event) => event.type === "tool.call.completed")).toMatchObject({ callId: "call_1", arguments: "{}" });
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "tool_calls" });
    expect(upstream.requests).toHaveLength(1);
  });
});

describe("createChatUpstream: retries and errors", () => {
  it("retries a 500 and succeeds", async () => {
    upstream.enqueue({ status: 500 }, { text: "recovered" });
    expect(textOf(await collect(chatUpstream()))).toMatchObject({ text: "recovered" });
    expect(upstream.requests).toHaveLength(2);
  });

  it("waits as long as Retry-After says before retrying a 429", async () => {
    upstream.enqueue({ status: 429, headers: { "retry-after": "1" } }, { text: "after the wait" });
    const started = performance.now();
    expect(textOf(await collect(chatUpstream()))).toMatchObject({ text: "after the wait" });
    expect(performance.now() - started).toBeGreaterThanOrEqual(950);
    expect(upstream.requests).toHaveLength(2);
  });

  it("passes a 4xx through with its status, message, code and param, without retrying", async () => {
    upstream.enqueue({
      status: 404,
      body: { error: { message: "The model `nope` does not exist", type: "invalid_request_error", param: "model", code: "model_not_found" } },
    });
    const { error } = await collectFailure(chatUpstream());
    expect(HermesError.is(error)).toBe(true);
    expect(error).toMatchObject({ status: 404, code: "model_not_found", param: "model", message: "The model `nope` does not exist" });
    expect(upstream.requests).toHaveLength(1);
  });

  it("reports an upstream 401 as the proxy's credentials failing, never repeating the key", async () => {
    upstream.enqueue({ status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}.`, code: "invalid_api_key" } } });
    const { error } = await collectFailure(chatUpstream());
    expect(error).toMatchObject({ status: 502, code: "upstream_auth_failed" });
    expect(error.message).not.toContain(API_KEY);
  });

  it("keeps the key out of a passed-on 4xx message too", async () => {
    upstream.enqueue({ status: 400, body: { error: { message: `bad request for key ${API_KEY}`, code: "invalid_value" } } });
    const { error } = await collectFailure(chatUpstream());
    expect(error).toMatchObject({ status: 400, code: "invalid_value" });
    expect(error.message).not.toContain(API_KEY);
  });

  it("answers 502 upstream_error once 5xx retries run out", async () => {
    upstream.enqueue({ status: 500 }, { status: 502, body: "Bad gateway" }, { status: 503 });
    const { error } = await collectFailure(chatUpstream({ maxRetries: 2 }));
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(upstream.requests).toHaveLength(3);
  });

  it("answers 429 rate_limit_exceeded with Retry-After once 429 retries run out", async () => {
    upstream.enqueue(...Array.from({ length: 2 }, () => ({ status: 429, headers: { "retry-after": "0" } })));
    const { error } = await collectFailure(chatUpstream({ maxRetries: 1 }));
    expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded", headers: { "Retry-After": "0" } });
    expect(upstream.requests).toHaveLength(2);
  });

  it("does not sit out a long Retry-After: the 429 goes back at once", async () => {
    upstream.enqueue({ status: 429, headers: { "retry-after": "120" } });
    const { error } = await collectFailure(chatUpstream());
    expect(error).toMatchObject({ status: 429, headers: { "Retry-After": "120" } });
    expect(upstream.requests).toHaveLength(1);
  });

  it("answers 502 when the upstream cannot be reached", async () => {
    const gone = await startFakeUpstream();
    const url = gone.url;
    await gone.close();
    const chat = createChatUpstream(upstreamConfigSchema.parse({ baseURL: url, apiKey: API_KEY, maxRetries: 1, retryDelayMs: 5 }));
    opened.push(chat);
    const { error } = await collectFailure(chat);
    expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringContaining("ECONNREFUSED") });
  });
});

describe("createChatUpstream: broken streams", () => {
  it("times out when the headers never come, within the configured time and without retrying", async () => {
    upstream.enqueue({ hang: true });
    const started = performance.now();
    const { error } = await collectFailure(chatUpstream({ headersTimeoutMs: 200 }));
    expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
    // undici runs headers and idle timeouts on its ~0.5 s "fast timers": a 200 ms timeout fires within ~1 s.
    expect(performance.now() - started).toBeLessThan(1_500);
    expect(upstream.requests).toHaveLength(1);
  });

  it("times out when the stream goes silent midway", async () => {
    upstream.enqueue({ text: "one two three four", stallAfter: 3 });
    const { events, error } = await collectFailure(chatUpstream({ idleTimeoutMs: 200 }));
    expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
    expect(events.some((event) => event.type === "text.delta")).toBe(true);
    expect(events.some((event) => event.type === "step.completed")).toBe(false);
  });

  it("fails (never succeeds) when the connection is reset midway", async () => {
    upstream.enqueue({ text: "one two three four five six", resetAfter: 3 });
    const { events, error } = await collectFailure(chatUpstream());
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(events.some((event) => event.type === "step.completed")).toBe(false);
    expect(upstream.requests).toHaveLength(1);
  });

  it("fails a stream that ends without a finish reason", async () => {
    const frame = (delta: object) => `data: ${JSON.stringify({ choices: [{ index: 0, delta, finish_reason: null }] })}\n\n`;
    upstream.enqueue(
      { sse: [frame({ role: "assistant", content: "" }), frame({ content: "Half an" }), "data: [DONE]\n\n"] },
      { sse: [frame({ content: "Half an" })] },
    );
    for (let attempt = 0; attempt < 2; attempt++) {
      const { error } = await collectFailure(chatUpstream());
      expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringMatching(/finish reason/) });
    }
  });

  it("fails on an error chunk mid-stream", async () => {
    upstream.enqueue({
      sse: [`data: ${JSON.stringify({ choices: [{ index: 0, delta: { content: "Hi" } }] })}\n\n`, `data: {"error":{"message":"overloaded"}}\n\n`],
    });
    const { error } = await collectFailure(chatUpstream());
    expect(error).toMatchObject({ status: 502, message: expect.stringContaining("overloaded") });
  });
});

describe("createChatUpstream: abort", () => {
  it("closes the upstream connection when aborted mid-stream", async () => {
    upstream.enqueue({ text: Array.from({ length: 40 }, (_, index) => `w${index}`).join(" "), delayMs: 20 });
    const controller = new AbortController();
    const closedBefore = upstream.closedConnections;
    const aborted = upstream.waitForAbort();
    const { events, error } = await (async () => {
      const seen: HermesEvent[] = [];
      try {
        for await (const batch of chatUpstream().stream(input(), { signal: controller.signal })) {
          for (const event of batch) {
            seen.push(event);
            if (event.type === "text.delta") controller.abort();
          }
        }
      } catch (caught) {
        return { events: seen, error: caught };
      }
      return { events: seen, error: undefined };
    })();
    expect(error).toBeInstanceOf(DOMException);
    expect((error as DOMException).name).toBe("AbortError");
    expect(events.filter((event) => event.type === "text.delta")).toHaveLength(1);
    expect(await aborted).toMatchObject({ path: "/v1/chat/completions", aborted: true });
    await expect.poll(() => upstream.closedConnections).toBeGreaterThan(closedBefore);
  });

  it("closes the upstream connection when aborted before the headers", async () => {
    upstream.enqueue({ hang: true });
    const controller = new AbortController();
    const aborted = upstream.waitForAbort();
    const failure = collectFailure(chatUpstream(), input(), controller.signal);
    await expect.poll(() => upstream.requests.length).toBe(1);
    const started = performance.now();
    controller.abort();
    const { error } = await failure;
    expect((error as unknown as DOMException).name).toBe("AbortError");
    expect(performance.now() - started).toBeLessThan(500);
    await aborted;
  });

  it("stops waiting to retry when aborted", async () => {
    upstream.enqueue({ status: 503, headers: { "retry-after": "10" } }, { text: "too late" });
    const controller = new AbortController();
    const failure = collectFailure(chatUpstream(), input(), controller.signal);
    await expect.poll(() => upstream.requests.length).toBe(1);
    const started = performance.now();
    controller.abort();
    const { error } = await failure;
    expect((error as unknown as DOMException).name).toBe("AbortError");
    expect(performance.now() - started).toBeLessThan(500);
    expect(upstream.requests).toHaveLength(1);
  });

  it("closes the connection when the consumer stops reading early", async () => {
    upstream.enqueue({ text: Array.from({ length: 40 }, (_, index) => `w${index}`).join(" "), delayMs: 20 });
    const aborted = upstream.waitForAbort();
    for await (const batch of chatUpstream().stream(input(), { signal: AbortSignal.timeout(10_000) })) {
      if (batch.some((event) => event.type === "text.delta")) break;
    }
    expect(await aborted).toMatchObject({ aborted: true });
  });
});
