import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { upstreamConfigSchema } from "../../src/config/schema.ts";
import type { HermesConfig } from "../../src/config/schema.ts";
import { HermesError } from "../../src/protocol/index.ts";
import type { HermesEvent, NewId, RunInput } from "../../src/protocol/index.ts";
import { createResponsesUpstream } from "../../src/upstream/responses/index.ts";
import type { Upstream } from "../../src/upstream/types.ts";
import { startFakeUpstream } from "../helpers/fake-upstream.ts";
import type { FakeUpstream } from "../helpers/fake-upstream.ts";
import { startProxy } from "../helpers/proxy.ts";
import type { TestProxy } from "../helpers/proxy.ts";

const API_KEY = "sk-upstream-secret-5678";

let upstream: FakeUpstream;
const opened: Upstream[] = [];

beforeAll(async () => {
  upstream = await startFakeUpstream({ apiKey: API_KEY });
});
afterEach(async () => {
  upstream.reset();
  await Promise.all(opened.splice(0).map((responses) => responses.close()));
});
afterAll(() => upstream.close());

/** A responses upstream pointed at the fake one; fast retries unless a test says otherwise. */
function responsesUpstream(overrides: Partial<HermesConfig["upstream"]> = {}): Upstream {
  const responses = createResponsesUpstream(
    upstreamConfigSchema.parse({ baseURL: upstream.url, apiKey: API_KEY, api: "responses", retryDelayMs: 5, ...overrides }),
  );
  opened.push(responses);
  return responses;
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

async function collect(responses: Upstream, runInput = input(), signal = AbortSignal.timeout(10_000)): Promise<HermesEvent[]> {
  const events: HermesEvent[] = [];
  for await (const batch of responses.stream(runInput, { signal, newId: sequentialIds() })) events.push(...batch);
  return events;
}

/** Runs a stream that must fail; returns what arrived before the failure and the failure. */
async function collectFailure(responses: Upstream, runInput = input(), signal = AbortSignal.timeout(10_000)) {
  const events: HermesEvent[] = [];
  try {
    for await (const batch of responses.stream(runInput, { signal, newId: sequentialIds() })) events.push(...batch);
  } catch (error) {
    return { events, error: error as HermesError };
  }
  throw new Error(`expected a failure, got ${JSON.stringify(events)}`);
}

/** An SSE frame as the Responses API writes it: the event name, then the JSON. */
const frame = (event: { type: string; [field: string]: unknown }) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
const textFrames = (...pieces: string[]) => [
  frame({ type: "response.created", response: { id: "resp_1", status: "in_progress", output: [] } }),
  frame({ type: "response.output_item.added", output_index: 0, item: { id: "msg_1", type: "message", role: "assistant", content: [] } }),
  ...pieces.map((delta) => frame({ type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta })),
];

const textOf = (events: HermesEvent[]) => events.find((event) => event.type === "message.completed");

describe("createResponsesUpstream: streaming", () => {
  it("streams text deltas and reports usage", async () => {
    upstream.enqueue({ text: "Hello world", usage: { inputTokens: 12, outputTokens: 2, cachedTokens: 4 } });
    const responses = responsesUpstream();
    expect(responses.kind).toBe("responses");
    expect(await collect(responses)).toEqual([
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Hello" },
      { type: "text.delta", itemId: "msg_1", delta: " world" },
      { type: "message.completed", itemId: "msg_1", text: "Hello world" },
      {
        type: "step.completed",
        finishReason: "stop",
        usage: { inputTokens: 12, outputTokens: 2, totalTokens: 14, reasoningTokens: 0, cachedTokens: 4 },
      },
    ]);
  });

  it("sends the model, the whole history as input items, tools, store: false and the API key", async () => {
    const tools = [{ name: "get_weather", description: "Weather now", parameters: { type: "object", properties: {} } }];
    await collect(
      responsesUpstream(),
      input({
        instructions: "Be brief.",
        items: [
          { type: "message", role: "user", content: [{ type: "input_text", text: "Weather?" }] },
          { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" },
          { type: "function_call_output", call_id: "call_1", output: "18C" },
          { type: "message", role: "assistant", content: [{ type: "output_text", text: "18C." }] },
          { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
        ],
        tools,
        toolChoice: "auto",
        temperature: 0.5,
        stop: ["END"],
      }),
    );
    const [request] = upstream.requests;
    expect(request).toMatchObject({ method: "POST", path: "/v1/responses" });
    expect(request!.headers).toMatchObject({
      authorization: `Bearer ${API_KEY}`,
      "content-type": "application/json",
      accept: "text/event-stream",
    });
    expect(request!.body).toEqual({
      model: "gpt-test",
      instructions: "Be brief.",
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "Weather?" }] },
        { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" },
        { type: "function_call_output", call_id: "call_1", output: "18C" },
        { type: "message", role: "assistant", content: "18C." },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
      ],
      tools: [{ type: "function", ...tools[0], strict: false }],
      tool_choice: "auto",
      temperature: 0.5,
      stream: true,
      store: false,
    });
  });

  it("streams a single tool call", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_w", name: "get_weather", arguments: { city: "Paris" } }] });
    const events = await collect(responsesUpstream());
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
    const events = await collect(responsesUpstream());
    const lifecycle = events.filter((event) => event.type === "tool.call.started" || event.type === "tool.call.completed");
    expect(lifecycle).toEqual([
      { type: "tool.call.started", callId: "call_a", itemId: "fc_1", name: "get_weather" },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_1", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "tool.call.started", callId: "call_b", itemId: "fc_2", name: "get_time" },
      { type: "tool.call.completed", callId: "call_b", itemId: "fc_2", name: "get_time", arguments: '{"tz":"Asia/Tokyo"}' },
    ]);
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "tool_calls" });
  });

  it.each(["summary", "text"] as const)("streams reasoning (%s) before the answer", async (responsesReasoning) => {
    upstream.enqueue({ reasoning: "Two plus two.", text: "4", usage: { reasoningTokens: 3 }, responsesReasoning });
    const events = await collect(responsesUpstream());
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
    expect(events.find((event) => event.type === "reasoning.completed")).toMatchObject({ itemId: "rs_1", text: "Two plus two." });
    expect(events.at(-1)).toMatchObject({ usage: { reasoningTokens: 3 } });
  });

  it("reports a step without usage when the upstream sends none", async () => {
    upstream.enqueue({ text: "ok", usage: null });
    expect((await collect(responsesUpstream())).at(-1)).toEqual({ type: "step.completed", finishReason: "stop" });
  });

  it.each([
    ["length", "length"],
    ["content_filter", "content_filter"],
  ] as const)("maps an incomplete response (%s)", async (finishReason, expected) => {
    upstream.enqueue({ text: "Once upon a time", finishReason });
    const events = await collect(responsesUpstream(), input({ maxOutputTokens: 16 }));
    expect(textOf(events)).toMatchObject({ text: "Once upon a time" });
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: expected });
    expect(upstream.requests[0]!.body.max_output_tokens).toBe(16);
  });

  it("decodes a JSON body sent in answer to a streaming request", async () => {
    upstream.enqueue({ text: "Whole body", reasoning: "Brief.", toolCalls: [{ id: "call_1", name: "now" }], ignoreStream: true });
    const events = await collect(responsesUpstream());
    expect(events.find((event) => event.type === "reasoning.completed")).toMatchObject({ text: "Brief." });
    expect(textOf(events)).toMatchObject({ text: "Whole body" });
    expect(events.find((event) => event.type === "tool.call.completed")).toMatchObject({ callId: "call_1", arguments: "{}" });
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "tool_calls", usage: { inputTokens: expect.any(Number) } });
    expect(upstream.requests).toHaveLength(1);
  });

  it("lists the upstream's models", async () => {
    upstream.models = ["gpt-a", "gpt-b"];
    expect(await responsesUpstream().listModels!()).toEqual(["gpt-a", "gpt-b"]);
    expect(upstream.requests[0]).toMatchObject({ method: "GET", path: "/v1/models" });
  });

  it("reuses one keep-alive connection across calls", async () => {
    const responses = responsesUpstream();
    const before = upstream.connections;
    for (let call = 0; call < 3; call++) {
      await collect(responses);
      // undici frees a connection a tick after the body ends; back-to-back calls would open a second.
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(upstream.connections - before).toBe(1);
  });

  it("ends at the terminal event at once, even when the upstream keeps the body open", async () => {
    const completed = frame({ type: "response.completed", response: { id: "resp_1", status: "completed", output: [] } });
    upstream.enqueue({ sse: [...textFrames("Hi"), completed, ": never sent\n\n"], stallAfter: 4 });
    const started = performance.now();
    const events = await collect(responsesUpstream({ idleTimeoutMs: 10_000 }));
    expect(performance.now() - started).toBeLessThan(2_000);
    expect(textOf(events)).toMatchObject({ text: "Hi" });
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "stop" });
  });
});

describe("createResponsesUpstream: failures in the stream", () => {
  it("fails on response.failed with the upstream's message", async () => {
    upstream.enqueue({
      sse: [
        ...textFrames("Half"),
        frame({ type: "response.failed", response: { status: "failed", error: { code: "server_error", message: "The model failed to generate a response." } } }),
      ],
    });
    const { events, error } = await collectFailure(responsesUpstream());
    expect(error).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream failed: The model failed to generate a response." });
    expect(events.some((event) => event.type === "step.completed")).toBe(false);
  });

  it("fails on an error event mid-stream", async () => {
    upstream.enqueue({ sse: [...textFrames("Hi"), frame({ type: "error", code: "server_error", message: "overloaded", param: null })] });
    const { error } = await collectFailure(responsesUpstream());
    expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringContaining("overloaded") });
  });

  it("fails a stream that ends without a terminal event, even one that ends with [DONE]", async () => {
    upstream.enqueue({ sse: textFrames("Half", " an") }, { sse: [...textFrames("Half"), "data: [DONE]\n\n"] });
    for (let attempt = 0; attempt < 2; attempt++) {
      const { events, error } = await collectFailure(responsesUpstream());
      expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringMatching(/ended before the response completed/) });
      expect(events.some((event) => event.type === "text.delta")).toBe(true);
    }
  });

  it("fails (never succeeds) when the connection is reset midway", async () => {
    upstream.enqueue({ text: "one two three four five six", resetAfter: 6 });
    const { events, error } = await collectFailure(responsesUpstream());
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(events.some((event) => event.type === "step.completed")).toBe(false);
    expect(upstream.requests).toHaveLength(1);
  });

  it("keeps an answer whose connection breaks after the terminal event", async () => {
    upstream.enqueue({ text: "Complete", resetAfter: Number.MAX_SAFE_INTEGER });
    const events = await collect(responsesUpstream());
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "stop" });
  });

  it("times out when the stream goes silent midway", async () => {
    upstream.enqueue({ text: "one two three four", stallAfter: 6 });
    const { events, error } = await collectFailure(responsesUpstream({ idleTimeoutMs: 200 }));
    expect(error).toMatchObject({ status: 504, code: "upstream_timeout" });
    expect(events.some((event) => event.type === "text.delta")).toBe(true);
  });

  it("fails on an event that is not JSON", async () => {
    upstream.enqueue({ sse: [...textFrames("Hi"), "event: response.output_text.delta\ndata: {not json\n\n"] });
    const { error } = await collectFailure(responsesUpstream());
    expect(error).toMatchObject({ status: 502, message: expect.stringMatching(/not JSON/) });
  });
});

describe("createResponsesUpstream: HTTP errors through the shared transport", () => {
  it("retries a 500 and succeeds", async () => {
    upstream.enqueue({ status: 500 }, { text: "recovered" });
    expect(textOf(await collect(responsesUpstream()))).toMatchObject({ text: "recovered" });
    expect(upstream.requests).toHaveLength(2);
  });

  it("passes a 4xx through with its status, message, code and param, without retrying", async () => {
    upstream.enqueue({
      status: 400,
      body: { error: { message: "Unsupported parameter: 'temperature'", type: "invalid_request_error", param: "temperature", code: "unsupported_parameter" } },
    });
    const { error } = await collectFailure(responsesUpstream());
    expect(HermesError.is(error)).toBe(true);
    expect(error).toMatchObject({ status: 400, code: "unsupported_parameter", param: "temperature" });
    expect(upstream.requests).toHaveLength(1);
  });

  it("reports an upstream 401 as the proxy's credentials failing, never repeating the key", async () => {
    upstream.enqueue({ status: 401, body: { error: { message: `Incorrect API key provided: ${API_KEY}.`, code: "invalid_api_key" } } });
    const { error } = await collectFailure(responsesUpstream());
    expect(error).toMatchObject({ status: 502, code: "upstream_auth_failed" });
    expect(error.message).not.toContain(API_KEY);
  });

  it("answers 502 upstream_error once 5xx retries run out", async () => {
    upstream.enqueue({ status: 500 }, { status: 503 });
    const { error } = await collectFailure(responsesUpstream({ maxRetries: 1 }));
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(upstream.requests).toHaveLength(2);
  });

  it("answers 429 with Retry-After once 429 retries run out", async () => {
    upstream.enqueue(...Array.from({ length: 2 }, () => ({ status: 429, headers: { "retry-after": "0" } })));
    const { error } = await collectFailure(responsesUpstream({ maxRetries: 1 }));
    expect(error).toMatchObject({ status: 429, code: "rate_limit_exceeded", headers: { "Retry-After": "0" } });
  });
});

describe("createResponsesUpstream: abort", () => {
  it("closes the upstream connection when aborted mid-stream", async () => {
    upstream.enqueue({ text: Array.from({ length: 40 }, (_, index) => `w${index}`).join(" "), delayMs: 20 });
    const controller = new AbortController();
    const closedBefore = upstream.closedConnections;
    const aborted = upstream.waitForAbort();
    const seen: HermesEvent[] = [];
    let failure: unknown;
    try {
      for await (const batch of responsesUpstream().stream(input(), { signal: controller.signal })) {
        for (const event of batch) {
          seen.push(event);
          if (event.type === "text.delta") controller.abort();
        }
      }
    } catch (caught) {
      failure = caught;
    }
    expect(failure).toBeInstanceOf(DOMException);
    expect((failure as DOMException).name).toBe("AbortError");
    expect(seen.filter((event) => event.type === "text.delta")).toHaveLength(1);
    expect(await aborted).toMatchObject({ path: "/v1/responses", aborted: true });
    await expect.poll(() => upstream.closedConnections).toBeGreaterThan(closedBefore);
  });

  it("closes the upstream connection when aborted before the headers", async () => {
    upstream.enqueue({ hang: true });
    const controller = new AbortController();
    const aborted = upstream.waitForAbort();
    const failure = collectFailure(responsesUpstream(), input(), controller.signal);
    await expect.poll(() => upstream.requests.length).toBe(1);
    controller.abort();
    const { error } = await failure;
    expect((error as unknown as DOMException).name).toBe("AbortError");
    await aborted;
  });

  it("closes the connection when the consumer stops reading early", async () => {
    upstream.enqueue({ text: Array.from({ length: 40 }, (_, index) => `w${index}`).join(" "), delayMs: 20 });
    const aborted = upstream.waitForAbort();
    for await (const batch of responsesUpstream().stream(input(), { signal: AbortSignal.timeout(10_000) })) {
      if (batch.some((event) => event.type === "text.delta")) break;
    }
    expect(await aborted).toMatchObject({ aborted: true });
  });
});

describe("a Chat Completions client served by a Responses upstream", () => {
  let proxy: TestProxy;

  beforeAll(async () => {
    proxy = await startProxy({
      upstream: { baseURL: upstream.url, apiKey: API_KEY, model: "fake-model", api: "responses", retryDelayMs: 5 },
    });
  });
  afterAll(() => proxy.close());

  const tools = [
    {
      type: "function" as const,
      function: { name: "get_weather", description: "Weather now", parameters: { type: "object", properties: { city: { type: "string" } } } },
    },
  ];

  it("answers a plain completion from the upstream's response", async () => {
    expect(proxy.hermes.upstreamKind).toBe("responses");
    upstream.enqueue({ text: "Hello there, friend.", usage: { inputTokens: 12, outputTokens: 5 } });
    const completion = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      messages: [
        { role: "system", content: "Answer in English." },
        { role: "user", content: "Say hello" },
      ],
      max_tokens: 40,
      seed: 1,
    });
    expect(completion.choices[0]).toMatchObject({ finish_reason: "stop", message: { role: "assistant", content: "Hello there, friend." } });
    expect(completion.usage).toMatchObject({ prompt_tokens: 12, completion_tokens: 5, total_tokens: 17 });
    const sent = upstream.requests[0];
    expect(sent?.path).toBe("/v1/responses");
    expect(sent?.body).toEqual({
      model: "fake-model",
      input: [
        { type: "message", role: "system", content: [{ type: "input_text", text: "Answer in English." }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Say hello" }] },
      ],
      max_output_tokens: 40,
      stream: true,
      store: false,
    });
  });

  it("hands tool calls back and sends their results upstream as items", async () => {
    upstream.enqueue({ toolCalls: [{ id: "call_w", name: "get_weather", arguments: { city: "Paris" } }] });
    const first = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      messages: [{ role: "user", content: "Weather in Paris?" }],
      tools,
      tool_choice: "auto",
    });
    expect(first.choices[0]?.finish_reason).toBe("tool_calls");
    expect(first.choices[0]?.message.tool_calls).toEqual([
      { id: "call_w", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } },
    ]);
    expect(upstream.requests[0]?.body).toMatchObject({
      tools: [{ type: "function", name: "get_weather", description: "Weather now", parameters: tools[0]!.function.parameters, strict: false }],
      tool_choice: "auto",
      store: false,
      stream: true,
    });

    upstream.enqueue({ text: "It is 18C in Paris." });
    const second = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      messages: [
        { role: "user", content: "Weather in Paris?" },
        { role: "assistant", content: null, tool_calls: first.choices[0]!.message.tool_calls! },
        { role: "tool", tool_call_id: "call_w", content: "18C" },
      ],
      tools,
    });
    expect(second.choices[0]?.message.content).toBe("It is 18C in Paris.");
    expect(upstream.requests[1]?.body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather in Paris?" }] },
      { type: "function_call", call_id: "call_w", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "function_call_output", call_id: "call_w", output: "18C" },
    ]);
    expect(upstream.requests[1]?.body).toMatchObject({ store: false, stream: true });
  });

  it("streams reasoning, text and tool calls as chat chunks", async () => {
    upstream.enqueue({
      reasoning: "Need both.",
      text: "Checking the weather.",
      toolCalls: [
        { id: "call_a", name: "get_weather", arguments: { city: "Paris" } },
        { id: "call_b", name: "get_weather", arguments: { city: "Tokyo" } },
      ],
    });
    const stream = await proxy.client.chat.completions.create({
      model: "hermes-agent",
      stream: true,
      stream_options: { include_usage: true },
      messages: [{ role: "user", content: "Paris and Tokyo?" }],
      tools,
    });
    let content = "";
    const calls = new Map<number, { id?: string; name?: string; arguments: string }>();
    let finishReason: string | null | undefined;
    let usage: unknown;
    for await (const chunk of stream) {
      if (chunk.usage) usage = chunk.usage;
      const choice = chunk.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? "";
      for (const call of choice.delta.tool_calls ?? []) {
        const entry = calls.get(call.index) ?? { arguments: "" };
        if (call.id) entry.id = call.id;
        if (call.function?.name) entry.name = call.function.name;
        entry.arguments += call.function?.arguments ?? "";
        calls.set(call.index, entry);
      }
      if (choice.finish_reason) finishReason = choice.finish_reason;
    }
    expect(content).toBe("Checking the weather.");
    expect([...calls.values()]).toEqual([
      { id: "call_a", name: "get_weather", arguments: '{"city":"Paris"}' },
      { id: "call_b", name: "get_weather", arguments: '{"city":"Tokyo"}' },
    ]);
    expect(finishReason).toBe("tool_calls");
    expect(usage).toMatchObject({ total_tokens: expect.any(Number) });
    expect(upstream.requests[0]?.path).toBe("/v1/responses");
    expect(upstream.requests[0]?.body).toMatchObject({
      model: "fake-model",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Paris and Tokyo?" }] }],
      tools: [expect.objectContaining({ type: "function", name: "get_weather" })],
      store: false,
      stream: true,
    });
  });

  it("answers an upstream failure mid-stream with an error, not a short answer", async () => {
    upstream.enqueue({ sse: textFrames("Half") });
    await expect(
      proxy.client.chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content: "x" }] }),
    ).rejects.toMatchObject({ status: 502 });
  });
});
