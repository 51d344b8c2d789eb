import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createResponsesUpstream } from "../../src/upstream/responses/index.ts";
import { describeUpstream, input, useFakeUpstream, weatherTool } from "../helpers/describe-upstream.ts";
import type { UpstreamTarget } from "../helpers/describe-upstream.ts";
import { startProxy } from "../helpers/proxy.ts";
import type { TestProxy } from "../helpers/proxy.ts";
import { collectFailure } from "../helpers/upstream-calls.ts";

const API_KEY = "sk-upstream-secret-5678";

/** An SSE frame as the Responses API writes it: the event name, then the JSON. */
const frame = (event: { type: string; [field: string]: unknown }) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`;
const textFrames = (...pieces: string[]) => [
  frame({ type: "response.created", response: { id: "resp_1", status: "in_progress", output: [] } }),
  frame({ type: "response.output_item.added", output_index: 0, item: { id: "msg_1", type: "message", role: "assistant", content: [] } }),
  ...pieces.map((delta) => frame({ type: "response.output_text.delta", item_id: "msg_1", output_index: 0, content_index: 0, delta })),
];

const responsesTarget: UpstreamTarget = {
  name: "createResponsesUpstream",
  kind: "responses",
  path: "/v1/responses",
  create: createResponsesUpstream,
  settings: { api: "responses" },
  expectedBody: {
    model: "gpt-test",
    instructions: "Be brief.",
    input: [
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather?" }] },
      { type: "function_call", call_id: "call_1", name: "get_weather", arguments: "{}" },
      { type: "function_call_output", call_id: "call_1", output: "18C" },
      { type: "message", role: "assistant", content: "18C." },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
    ],
    tools: [{ type: "function", ...weatherTool, strict: false }],
    tool_choice: "auto",
    temperature: 0.5,
    // The Responses API has no stop sequences: `stop` is not sent.
    stream: true,
    store: false,
  },
  maxTokensField: "max_output_tokens",
  reasoningStyles: { summary: { responsesReasoning: "summary" }, text: { responsesReasoning: "text" } },
  // response.created, response.in_progress, output_item.added, content_part.added, then a delta per word.
  midTextFrame: 6,
  broken: {
    truncated: [textFrames("Half", " an"), [...textFrames("Half"), "data: [DONE]\n\n"]],
    truncatedMessage: /ended before the response completed/,
    errorMidStream: [...textFrames("Hi"), frame({ type: "error", code: "server_error", message: "overloaded", param: null })],
    notJson: [...textFrames("Hi"), "event: response.output_text.delta\ndata: {not json\n\n"],
    heldOpen: {
      sse: [...textFrames("Hi"), frame({ type: "response.completed", response: { id: "resp_1", status: "completed", output: [] } }), ": never sent\n\n"],
      stallAfter: textFrames("Hi").length + 1,
    },
  },
  onStreamRefused: "fail",
};

const harness = useFakeUpstream(responsesTarget, API_KEY);
describeUpstream(responsesTarget, harness);

describe("createResponsesUpstream: failures only the Responses API has", () => {
  it("fails on response.failed with the upstream's message", async () => {
    harness.fake.enqueue({
      sse: [
        ...textFrames("Half"),
        frame({
          type: "response.failed",
          response: { status: "failed", error: { code: "server_error", message: "The model failed to generate a response." } },
        }),
      ],
    });
    const { events, error } = await collectFailure(harness.open(), input());
    expect(error).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream failed: The model failed to generate a response." });
    expect(events.some((event) => event.type === "step.completed")).toBe(false);
  });
});

describe("a Chat Completions client served by a Responses upstream", () => {
  let proxy: TestProxy;

  beforeAll(async () => {
    proxy = await startProxy({
      upstream: { baseURL: harness.fake.url, apiKey: API_KEY, model: "fake-model", api: "responses", retryDelayMs: 5 },
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
    harness.fake.enqueue({ text: "Hello there, friend.", usage: { inputTokens: 12, outputTokens: 5 } });
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
    const sent = harness.fake.requests[0];
    expect(sent?.path).toBe("/v1/responses");
    expect(sent?.body).toEqual({
      model: "fake-model",
      input: [
        { type: "message", role: "system", content: [{ type: "input_text", text: "Answer in English." }] },
        { type: "message", role: "user", content: [{ type: "input_text", text: "Say hello" }] },
      ],
      max_output_tokens: 40,
      stream: false,
      store: false,
    });
  });

  it("hands tool calls back and sends their results upstream as items", async () => {
    harness.fake.enqueue({ toolCalls: [{ id: "call_w", name: "get_weather", arguments: { city: "Paris" } }] });
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
    expect(harness.fake.requests[0]?.body).toMatchObject({
      tools: [{ type: "function", name: "get_weather", description: "Weather now", parameters: tools[0]!.function.parameters, strict: false }],
      tool_choice: "auto",
      store: false,
      stream: false,
    });

    harness.fake.enqueue({ text: "It is 18C in Paris." });
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
    expect(harness.fake.requests[1]?.body.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "Weather in Paris?" }] },
      { type: "function_call", call_id: "call_w", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "function_call_output", call_id: "call_w", output: "18C" },
    ]);
    expect(harness.fake.requests[1]?.body).toMatchObject({ store: false, stream: false });
  });

  it("streams reasoning, text and tool calls as chat chunks", async () => {
    harness.fake.enqueue({
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
    expect(harness.fake.requests[0]?.path).toBe("/v1/responses");
    expect(harness.fake.requests[0]?.body).toMatchObject({
      model: "fake-model",
      input: [{ type: "message", role: "user", content: [{ type: "input_text", text: "Paris and Tokyo?" }] }],
      tools: [expect.objectContaining({ type: "function", name: "get_weather" })],
      store: false,
      stream: true,
    });
  });

  it("answers an upstream failure mid-stream with an error, not a short answer", async () => {
    harness.fake.enqueue({ sse: textFrames("Half") });
    await expect(proxy.client.chat.completions.create({ model: "hermes-agent", messages: [{ role: "user", content: "x" }] })).rejects.toMatchObject({
      status: 502,
    });
  });
});
