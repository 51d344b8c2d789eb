import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HermesError } from "../../../src/protocol/index.ts";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import type { NewId } from "../../../src/utils/index.ts";
import { decodeChatJson } from "../../../src/upstream/chat/decode-json.ts";
import { ChatStreamDecoder } from "../../../src/upstream/chat/decode-stream.ts";
import { expectWellFormedStep } from "../../helpers/event-invariants.ts";

/** Deterministic ids: `msg_1`, `rs_2`, … */
function sequentialIds(): NewId {
  let n = 0;
  return (prefix) => `${prefix}${++n}`;
}

function loadChunks(name: string): unknown[] {
  const text = readFileSync(new URL(`../../fixtures/upstream/${name}.chunks.txt`, import.meta.url), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as unknown);
}

function decode(chunks: unknown[]): HermesEvent[] {
  const decoder = new ChatStreamDecoder(sequentialIds());
  const events: HermesEvent[] = [];
  for (const chunk of chunks) decoder.push(chunk, events);
  decoder.end(events);
  // Whatever the chunks, a stream that decodes is one well-formed step.
  expectWellFormedStep(events);
  return events;
}

function decodeFixture(name: string): HermesEvent[] {
  return decode(loadChunks(name));
}

function catchError(run: () => unknown): HermesError {
  try {
    run();
  } catch (error) {
    if (HermesError.is(error)) return error;
    throw error;
  }
  throw new Error("expected a HermesError");
}

const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) => ({
  choices: [{ index: 0, delta, finish_reason: finishReason }],
});

describe("ChatStreamDecoder on recorded-style fixtures", () => {
  it("decodes plain text, skipping the empty role chunk, with usage from the usage chunk", () => {
    const events = decodeFixture("chat-text");
    expect(events[0]).toEqual({ type: "message.started", itemId: "msg_1" });
    expect(events.filter((event) => event.type === "text.delta")).toHaveLength(9);
    expect(events.slice(-2)).toEqual([
      { type: "message.completed", itemId: "msg_1", text: "Hello! How can I help you today?" },
      {
        type: "step.completed",
        finishReason: "stop",
        usage: { inputTokens: 19, outputTokens: 10, totalTokens: 29, reasoningTokens: 0, cachedTokens: 0 },
      },
    ]);
  });

  it("accumulates parallel tool calls per index, one after the other", () => {
    const events = decodeFixture("chat-tool-calls-parallel");
    expect(events.map((event) => event.type)).toEqual([
      "tool.call.started",
      ...Array<string>(4).fill("tool.call.delta"),
      "tool.call.completed",
      "tool.call.started",
      ...Array<string>(3).fill("tool.call.delta"),
      "tool.call.completed",
      "step.completed",
    ]);
    expect(events[0]).toEqual({ type: "tool.call.started", callId: "call_pAr1s", itemId: "fc_1", name: "get_weather" });
    expect(events.filter((event) => event.type === "tool.call.completed")).toEqual([
      { type: "tool.call.completed", callId: "call_pAr1s", itemId: "fc_1", name: "get_weather", arguments: '{"city": "Paris", "unit": "c"}' },
      { type: "tool.call.completed", callId: "call_t0ky0", itemId: "fc_2", name: "get_time", arguments: '{"tz": "Asia/Tokyo"}' },
    ]);
    expect(events.at(-1)).toEqual({
      type: "step.completed",
      finishReason: "tool_calls",
      usage: { inputTokens: 82, outputTokens: 51, totalTokens: 133, reasoningTokens: 0, cachedTokens: 64 },
    });
  });

  it("closes the text before a tool call that follows it", () => {
    const types = decodeFixture("chat-text-then-tool-call").map((event) => event.type);
    expect(types.indexOf("message.completed")).toBeLessThan(types.indexOf("tool.call.started"));
    expect(types.at(-1)).toBe("step.completed");
  });

  it("decodes DeepSeek-style reasoning_content before the answer", () => {
    const events = decodeFixture("chat-reasoning-content");
    expect(events.filter((event) => event.type !== "reasoning.delta" && event.type !== "text.delta")).toEqual([
      { type: "reasoning.started", itemId: "rs_1" },
      { type: "reasoning.completed", itemId: "rs_1", text: "The user asks for 2+2." },
      { type: "message.started", itemId: "msg_2" },
      { type: "message.completed", itemId: "msg_2", text: "2 + 2 = 4." },
      {
        type: "step.completed",
        finishReason: "stop",
        usage: { inputTokens: 12, outputTokens: 40, totalTokens: 52, reasoningTokens: 34, cachedTokens: 0 },
      },
    ]);
  });

  it("decodes the `reasoning` field and usage that arrives after the finish chunk", () => {
    const events = decodeFixture("chat-reasoning-field");
    expect(events.find((event) => event.type === "reasoning.completed")).toMatchObject({ text: "Thinking about it" });
    expect(events.find((event) => event.type === "message.completed")).toMatchObject({ text: "Paris is the capital." });
    expect(events.at(-1)).toEqual({
      type: "step.completed",
      finishReason: "stop",
      usage: { inputTokens: 20, outputTokens: 9, totalTokens: 29 },
    });
  });

  it.each([
    ["chat-length", "length"],
    ["chat-content-filter", "content_filter"],
  ])("maps the finish reason of %s", (name, finishReason) => {
    const events = decodeFixture(name);
    expect(events.at(-2)?.type).toBe("message.completed");
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason });
  });

  it("fails a stream that ends without a finish reason instead of reporting a short answer", () => {
    const error = catchError(() => decodeFixture("chat-truncated"));
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(error.message).toMatch(/ended before a finish reason/);
  });
});

describe("ChatStreamDecoder edge cases", () => {
  it("holds arguments that arrive before the name and sends them as the first delta", () => {
    const events = decode([
      chunk({ tool_calls: [{ index: 0, id: "call_a", function: { arguments: '{"x"' } }] }),
      chunk({ tool_calls: [{ index: 0, function: { name: "f", arguments: ":1}" } }] }),
      chunk({}, "tool_calls"),
    ]);
    expect(events).toEqual([
      { type: "tool.call.started", callId: "call_a", itemId: "fc_1", name: "f" },
      { type: "tool.call.delta", callId: "call_a", delta: '{"x":1}' },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_1", name: "f", arguments: '{"x":1}' },
      { type: "step.completed", finishReason: "tool_calls" },
    ]);
  });

  it("tells apart calls that share an index by their ids", () => {
    const events = decode([
      chunk({ tool_calls: [{ index: 0, id: "call_a", function: { name: "f", arguments: "{}" } }] }),
      chunk({ tool_calls: [{ index: 0, id: "call_b", function: { name: "g", arguments: "{}" } }] }),
      chunk({}, "stop"),
    ]);
    const completed = events.filter((event) => event.type === "tool.call.completed");
    expect(completed.map((event) => event.callId)).toEqual(["call_a", "call_b"]);
    expect(events.at(-1)).toEqual({ type: "step.completed", finishReason: "tool_calls" });
  });

  it("gives a call without arguments `{}` and a call without an id a generated one", () => {
    const events = decode([chunk({ tool_calls: [{ index: 0, function: { name: "now" } }] }), chunk({}, "tool_calls")]);
    expect(events).toEqual([
      { type: "tool.call.started", callId: "call_1", itemId: "fc_2", name: "now" },
      { type: "tool.call.delta", callId: "call_1", delta: "{}" },
      { type: "tool.call.completed", callId: "call_1", itemId: "fc_2", name: "now", arguments: "{}" },
      { type: "step.completed", finishReason: "tool_calls" },
    ]);
  });

  it("rejects a tool call that never gets a name", () => {
    const error = catchError(() => decode([chunk({ tool_calls: [{ index: 0, id: "call_a" }] }), chunk({}, "tool_calls")]));
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
  });

  it("rejects arguments interleaved across parallel calls rather than mixing them up", () => {
    const error = catchError(() =>
      decode([
        chunk({ tool_calls: [{ index: 0, id: "call_a", function: { name: "f", arguments: "{" } }] }),
        chunk({ tool_calls: [{ index: 1, id: "call_b", function: { name: "g", arguments: "{" } }] }),
        chunk({ tool_calls: [{ index: 0, function: { arguments: "}" } }] }),
      ]),
    );
    expect(error.message).toMatch(/interleaved/);
  });

  it("turns a mid-stream error chunk into a 502", () => {
    const error = catchError(() => decode([chunk({ content: "Hi" }), { error: { message: "overloaded", type: "server_error" } }]));
    expect(error).toMatchObject({ status: 502, code: "upstream_error", message: expect.stringContaining("overloaded") });
  });

  it("treats OpenRouter's `error` finish reason as a failure", () => {
    expect(() => decode([chunk({ content: "Hi" }, "error")])).toThrow(/reported an error/);
  });

  it("reads text sent as content parts and a refusal as text", () => {
    const events = decode([chunk({ content: [{ type: "text", text: "A" }] }), chunk({ refusal: "B" }), chunk({}, "stop")]);
    expect(events.find((event) => event.type === "message.completed")).toMatchObject({ text: "AB" });
  });

  it("reads only one of reasoning_content and reasoning when a server sends both", () => {
    const events = decode([chunk({ reasoning_content: "r", reasoning: "r" }), chunk({}, "stop")]);
    expect(events.find((event) => event.type === "reasoning.completed")).toMatchObject({ text: "r" });
  });

  it("rejects a chunk that is not an object", () => {
    expect(() => decode(["nope"])).toThrow(HermesError);
  });

  it("rejects a chunk whose read fields have the wrong type, as chatChunkSchema does", () => {
    for (const bad of [{ choices: {} }, chunk({ content: 42 }), chunk({ tool_calls: [null] }), { choices: [], usage: { prompt_tokens: "5" } }])
      expect(catchError(() => decode([bad]))).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream sent a malformed stream chunk" });
  });
});

describe("decodeChatJson", () => {
  it("gives a non-stream body the same events a stream of it would give", () => {
    const events = decodeChatJson(
      {
        id: "chatcmpl-1",
        object: "chat.completion",
        choices: [
          {
            index: 0,
            message: {
              role: "assistant",
              content: "Checking.",
              reasoning_content: "Need the weather.",
              tool_calls: [{ id: "call_w", type: "function", function: { name: "get_weather", arguments: '{"city":"Paris"}' } }],
            },
            finish_reason: "tool_calls",
          },
        ],
        usage: { prompt_tokens: 5, completion_tokens: 7, total_tokens: 12 },
      },
      sequentialIds(),
    );
    expect(events).toEqual([
      { type: "reasoning.started", itemId: "rs_1" },
      { type: "reasoning.delta", itemId: "rs_1", delta: "Need the weather." },
      { type: "reasoning.completed", itemId: "rs_1", text: "Need the weather." },
      { type: "message.started", itemId: "msg_2" },
      { type: "text.delta", itemId: "msg_2", delta: "Checking." },
      { type: "message.completed", itemId: "msg_2", text: "Checking." },
      { type: "tool.call.started", callId: "call_w", itemId: "fc_3", name: "get_weather" },
      { type: "tool.call.delta", callId: "call_w", delta: '{"city":"Paris"}' },
      { type: "tool.call.completed", callId: "call_w", itemId: "fc_3", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "step.completed", finishReason: "tool_calls", usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12 } },
    ]);
  });

  it("treats a body without a finish reason as finished", () => {
    const events = decodeChatJson({ choices: [{ message: { content: "ok" } }] }, sequentialIds());
    expect(events.at(-1)).toEqual({ type: "step.completed", finishReason: "stop" });
  });

  it("rejects a body without choices", () => {
    expect(() => decodeChatJson({ error: "nope" })).toThrow(/unreadable completion/);
  });

  it("passes on the message of an error envelope sent with a 200", () => {
    expect(() => decodeChatJson({ error: { message: "model overloaded" } })).toThrow(/model overloaded/);
  });
});
