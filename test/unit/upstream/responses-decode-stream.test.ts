import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { HermesError } from "../../../src/protocol/index.ts";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import type { NewId } from "../../../src/utils/index.ts";
import { decodeResponsesJson } from "../../../src/upstream/responses/decode-json.ts";
import { ignoredEventTypes, ResponsesStreamDecoder } from "../../../src/upstream/responses/decode-stream.ts";
import { expectWellFormedStep } from "../../helpers/event-invariants.ts";

/** Deterministic ids: `msg_1`, `rs_2`, … */
function sequentialIds(): NewId {
  let n = 0;
  return (prefix) => `${prefix}${++n}`;
}

function loadEvents(name: string): Record<string, unknown>[] {
  const text = readFileSync(new URL(`../../fixtures/upstream/${name}.events.txt`, import.meta.url), "utf8");
  return text
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

function decode(events: unknown[]): HermesEvent[] {
  const decoder = new ResponsesStreamDecoder(sequentialIds());
  const out: HermesEvent[] = [];
  for (const event of events) decoder.push(event, out);
  decoder.end();
  // Whatever the events, a stream that decodes is one well-formed step.
  expectWellFormedStep(out);
  return out;
}

function decodeFixture(name: string): HermesEvent[] {
  return decode(loadEvents(name));
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

const withoutDeltas = (events: HermesEvent[]) =>
  events.filter((event) => event.type !== "text.delta" && event.type !== "reasoning.delta" && event.type !== "tool.call.delta");

// Minimal events, shaped as OpenAI sends them.
const added = (outputIndex: number, item: Record<string, unknown>) => ({ type: "response.output_item.added", output_index: outputIndex, item });
const done = (outputIndex: number, item: Record<string, unknown>) => ({ type: "response.output_item.done", output_index: outputIndex, item });
const text = (itemId: string, outputIndex: number, delta: string) => ({
  type: "response.output_text.delta",
  item_id: itemId,
  output_index: outputIndex,
  content_index: 0,
  delta,
});
const args = (itemId: string, outputIndex: number, delta: string) => ({
  type: "response.function_call_arguments.delta",
  item_id: itemId,
  output_index: outputIndex,
  delta,
});
const completed = (response: Record<string, unknown> = {}) => ({ type: "response.completed", response: { status: "completed", ...response } });
const message = (id: string, content: string | undefined = undefined) => ({
  id,
  type: "message",
  role: "assistant",
  content: content === undefined ? [] : [{ type: "output_text", text: content, annotations: [] }],
});
const call = (id: string, callId: string, name: string, argumentsJson = "") => ({ id, type: "function_call", call_id: callId, name, arguments: argumentsJson });

describe("ResponsesStreamDecoder on recorded-style fixtures", () => {
  it("decodes plain text with usage from response.completed", () => {
    const events = decodeFixture("responses-text");
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

  it("decodes reasoning summaries as summary parts, apart from reasoning text, keeping the upstream's reasoning id", () => {
    const events = decodeFixture("responses-reasoning-summary");
    expect(withoutDeltas(events)).toEqual([
      { type: "reasoning.started", itemId: "rs_68a1f1ab11e48190a0b1c2d3e4f5a6b7" },
      {
        type: "reasoning.completed",
        itemId: "rs_68a1f1ab11e48190a0b1c2d3e4f5a6b7",
        text: "",
        summary: ["**Adding numbers**\n\nThe user asks for 2+2.", "**Answering**\n\nIt is 4."],
      },
      { type: "message.started", itemId: "msg_1" },
      { type: "message.completed", itemId: "msg_1", text: "2 + 2 = 4." },
      {
        type: "step.completed",
        finishReason: "stop",
        usage: { inputTokens: 12, outputTokens: 140, totalTokens: 152, reasoningTokens: 128, cachedTokens: 0 },
      },
    ]);
    const reasoning = events.flatMap((event) => (event.type === "reasoning.delta" ? [[event.summaryIndex, event.delta]] : []));
    expect(reasoning).toHaveLength(7);
    expect(reasoning[4]).toEqual([1, "**Answer"]);
  });

  it("decodes reasoning text as open models stream it", () => {
    const events = decodeFixture("responses-reasoning-text");
    expect(events.find((event) => event.type === "reasoning.completed")).toEqual({
      type: "reasoning.completed",
      itemId: "rs_5b8e2d1c9a7f4e3b",
      text: "User wants the capital of France.",
    });
    expect(events.find((event) => event.type === "message.completed")).toMatchObject({ itemId: "msg_1", text: "Paris is the capital." });
    expect(events.at(-1)).toEqual({
      type: "step.completed",
      finishReason: "stop",
      usage: { inputTokens: 20, outputTokens: 9, totalTokens: 29, reasoningTokens: 7, cachedTokens: 0 },
    });
  });

  it("decodes parallel tool calls with the upstream's call ids and our item ids", () => {
    const events = decodeFixture("responses-tool-calls-parallel");
    expect(events.map((event) => event.type)).toEqual([
      "tool.call.started",
      ...Array<string>(4).fill("tool.call.delta"),
      "tool.call.completed",
      "tool.call.started",
      ...Array<string>(3).fill("tool.call.delta"),
      "tool.call.completed",
      "step.completed",
    ]);
    expect(events[0]).toEqual({ type: "tool.call.started", callId: "call_pAr1sW3ath3r", itemId: "fc_1", name: "get_weather" });
    expect(events.filter((event) => event.type === "tool.call.completed")).toEqual([
      { type: "tool.call.completed", callId: "call_pAr1sW3ath3r", itemId: "fc_1", name: "get_weather", arguments: '{"city": "Paris", "unit": "c"}' },
      { type: "tool.call.completed", callId: "call_T0ky0T1me", itemId: "fc_2", name: "get_time", arguments: '{"tz": "Asia/Tokyo"}' },
    ]);
    expect(events.at(-1)).toEqual({
      type: "step.completed",
      finishReason: "tool_calls",
      usage: { inputTokens: 82, outputTokens: 51, totalTokens: 133, reasoningTokens: 0, cachedTokens: 64 },
    });
  });

  it("finishes the text before the tool call that follows it", () => {
    const events = decodeFixture("responses-text-then-tool-call");
    expect(withoutDeltas(events)).toEqual([
      { type: "message.started", itemId: "msg_1" },
      { type: "message.completed", itemId: "msg_1", text: "Let me check." },
      { type: "tool.call.started", callId: "call_W34th3rBer1in", itemId: "fc_2", name: "get_weather" },
      { type: "tool.call.completed", callId: "call_W34th3rBer1in", itemId: "fc_2", name: "get_weather", arguments: '{"city":"Berlin"}' },
      expect.objectContaining({ type: "step.completed", finishReason: "tool_calls" }),
    ]);
  });

  it("maps response.incomplete for max_output_tokens to length", () => {
    const events = decodeFixture("responses-incomplete");
    expect(events.at(-2)).toEqual({ type: "message.completed", itemId: "msg_1", text: "Once upon a time, in" });
    expect(events.at(-1)).toMatchObject({ type: "step.completed", finishReason: "length", usage: { outputTokens: 16 } });
  });

  it("fails on response.failed with the upstream's message, after the text it streamed", () => {
    const decoder = new ResponsesStreamDecoder(sequentialIds());
    const out: HermesEvent[] = [];
    const error = catchError(() => {
      for (const event of loadEvents("responses-failed")) decoder.push(event, out);
    });
    expect(error).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream failed: The model failed to generate a response." });
    expect(out.filter((event) => event.type === "text.delta")).toHaveLength(3);
    expect(decoder.finished).toBe(false);
  });

  it("fails a stream that ends without a terminal event instead of reporting a short answer", () => {
    const error = catchError(() => decodeFixture("responses-truncated"));
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(error.message).toMatch(/ended before the response completed/);
  });

  it("lists as ignorable only events the decoder has no use for", () => {
    const fixtures = ["text", "reasoning-summary", "reasoning-text", "tool-calls-parallel", "incomplete"].map((name) => `responses-${name}`);
    for (const name of fixtures) {
      const kept = loadEvents(name).filter((event) => !ignoredEventTypes.has(event.type as string));
      expect(decode(kept)).toEqual(decodeFixture(name));
    }
  });
});

describe("ResponsesStreamDecoder edge cases", () => {
  it("maps an incomplete response cut by the content filter, and one with an unknown reason to length", () => {
    const incomplete = (reason: string) => ({ type: "response.incomplete", response: { status: "incomplete", incomplete_details: { reason } } });
    expect(decode([incomplete("content_filter")]).at(-1)).toEqual({ type: "step.completed", finishReason: "content_filter" });
    expect(decode([incomplete("max_tokens")]).at(-1)).toEqual({ type: "step.completed", finishReason: "length" });
  });

  it("reads the status of a response.completed that says otherwise", () => {
    expect(decode([completed({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" } })]).at(-1)).toMatchObject({
      finishReason: "length",
    });
    expect(() => decode([completed({ status: "failed", error: { message: "boom" } })])).toThrow(/boom/);
  });

  it("turns an error event into a 502 with its message, flat or nested", () => {
    const flat = catchError(() => decode([{ type: "error", code: "server_error", message: "overloaded", param: null }]));
    expect(flat).toMatchObject({ status: 502, code: "upstream_error", message: "The upstream failed mid-stream: overloaded" });
    expect(catchError(() => decode([{ type: "error", error: { message: "nested" } }])).message).toMatch(/: nested$/);
    expect(catchError(() => decode([{ type: "error" }])).message).toBe("The upstream failed mid-stream");
  });

  it("closes items still open at the terminal event", () => {
    const events = decode([added(0, message("m1")), text("m1", 0, "Hi"), completed()]);
    expect(events).toEqual([
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Hi" },
      { type: "message.completed", itemId: "msg_1", text: "Hi" },
      { type: "step.completed", finishReason: "stop" },
    ]);
  });

  it("starts a message for text whose item was never announced", () => {
    const events = decode([text("m1", 0, "Hi"), completed()]);
    expect(events.slice(0, 2)).toEqual([
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Hi" },
    ]);
  });

  it("replays an item seen only when done, as one delta", () => {
    const events = decode([done(0, message("m1", "Whole text")), done(1, call("f1", "call_a", "now")), completed()]);
    expect(events).toEqual([
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Whole text" },
      { type: "message.completed", itemId: "msg_1", text: "Whole text" },
      { type: "tool.call.started", callId: "call_a", itemId: "fc_2", name: "now" },
      { type: "tool.call.delta", callId: "call_a", delta: "{}" },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_2", name: "now", arguments: "{}" },
      { type: "step.completed", finishReason: "tool_calls" },
    ]);
  });

  it("replays the final response's items when the stream sent no item events", () => {
    const events = decode([completed({ output: [message("m1", "From the end")], usage: { input_tokens: 3, output_tokens: 2 } })]);
    expect(events).toEqual([
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "From the end" },
      { type: "message.completed", itemId: "msg_1", text: "From the end" },
      { type: "step.completed", finishReason: "stop", usage: { inputTokens: 3, outputTokens: 2, totalTokens: 5 } },
    ]);
  });

  it("sends the part of a total the deltas missed, and ignores a total that disagrees", () => {
    const events = decode([
      added(0, message("m1")),
      text("m1", 0, "Hel"),
      done(0, message("m1", "Hello")),
      added(1, message("m2")),
      text("m2", 1, "Kept"),
      done(1, message("m2", "Other")),
      completed(),
    ]);
    expect(events.filter((event) => event.type === "text.delta").map((event) => event.delta)).toEqual(["Hel", "lo", "Kept"]);
    expect(events.filter((event) => event.type === "message.completed").map((event) => event.text)).toEqual(["Hello", "Kept"]);
  });

  it("holds arguments until the name arrives, and takes arguments sent only with .done", () => {
    const events = decode([
      added(0, call("f1", "call_a", "")),
      args("f1", 0, '{"x"'),
      { type: "response.function_call_arguments.done", item_id: "f1", output_index: 0, name: "f", arguments: '{"x":1}' },
      added(1, call("f2", "call_b", "g")),
      { type: "response.function_call_arguments.done", item_id: "f2", output_index: 1, arguments: '{"y":2}' },
      completed(),
    ]);
    expect(events).toEqual([
      { type: "tool.call.started", callId: "call_a", itemId: "fc_1", name: "f" },
      { type: "tool.call.delta", callId: "call_a", delta: '{"x":1}' },
      { type: "tool.call.started", callId: "call_b", itemId: "fc_2", name: "g" },
      { type: "tool.call.delta", callId: "call_b", delta: '{"y":2}' },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_1", name: "f", arguments: '{"x":1}' },
      { type: "tool.call.completed", callId: "call_b", itemId: "fc_2", name: "g", arguments: '{"y":2}' },
      { type: "step.completed", finishReason: "tool_calls" },
    ]);
  });

  it("keeps interleaved parallel calls apart by item id", () => {
    const events = decode([
      added(0, call("f1", "call_a", "f")),
      added(1, call("f2", "call_b", "g")),
      args("f1", 0, '{"a"'),
      args("f2", 1, '{"b"'),
      args("f1", 0, ":1}"),
      args("f2", 1, ":2}"),
      done(1, call("f2", "call_b", "g", '{"b":2}')),
      done(0, call("f1", "call_a", "f", '{"a":1}')),
      completed(),
    ]);
    expect(events.filter((event) => event.type === "tool.call.completed")).toEqual([
      { type: "tool.call.completed", callId: "call_b", itemId: "fc_2", name: "g", arguments: '{"b":2}' },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_1", name: "f", arguments: '{"a":1}' },
    ]);
  });

  it("finds items by output index when a server leaves item ids out, the later item winning a repeated index", () => {
    const events = decode([
      added(0, { type: "reasoning", summary: [] }),
      { type: "response.reasoning_text.delta", output_index: 0, delta: "think" },
      added(0, { type: "message", role: "assistant", content: [] }),
      { type: "response.output_text.delta", output_index: 0, delta: "say" },
      completed(),
    ]);
    expect(withoutDeltas(events)).toEqual([
      { type: "reasoning.started", itemId: "rs_1" },
      { type: "message.started", itemId: "msg_2" },
      { type: "reasoning.completed", itemId: "rs_1", text: "think" },
      { type: "message.completed", itemId: "msg_2", text: "say" },
      { type: "step.completed", finishReason: "stop" },
    ]);
  });

  it("gives a call without a call_id a generated one, and a call without a name an error", () => {
    const events = decode([added(0, { id: "f1", type: "function_call", name: "now", arguments: "" }), completed()]);
    expect(events[0]).toEqual({ type: "tool.call.started", callId: "call_1", itemId: "fc_2", name: "now" });
    const error = catchError(() => decode([added(0, { id: "f1", type: "function_call", call_id: "c" }), completed()]));
    expect(error.message).toMatch(/without a name/);
  });

  it("rejects arguments for a call it never saw, and text after its message finished", () => {
    expect(() => decode([args("f9", 3, "{}")])).toThrow(/never announced/);
    expect(() => decode([added(0, message("m1")), done(0, message("m1", "")), text("m1", 0, "late")])).toThrow(/had finished/);
  });

  it("shows a refusal as text", () => {
    const events = decode([
      added(0, message("m1")),
      { type: "response.refusal.delta", item_id: "m1", output_index: 0, content_index: 0, delta: "I can't help with that." },
      completed(),
    ]);
    expect(events.find((event) => event.type === "message.completed")).toMatchObject({ text: "I can't help with that." });
  });

  it("keeps reasoning text and summary apart when a server sends both, with the encrypted content", () => {
    const events = decode([
      added(0, { id: "r1", type: "reasoning", summary: [] }),
      { type: "response.reasoning_text.delta", item_id: "r1", output_index: 0, content_index: 0, delta: "raw" },
      { type: "response.reasoning_summary_text.delta", item_id: "r1", output_index: 0, summary_index: 0, delta: "summary" },
      done(0, {
        id: "r1",
        type: "reasoning",
        summary: [{ type: "summary_text", text: "summary" }],
        content: [{ type: "reasoning_text", text: "raw" }],
        encrypted_content: "gAAA",
      }),
      completed(),
    ]);
    expect(events.find((event) => event.type === "reasoning.completed")).toEqual({
      type: "reasoning.completed",
      itemId: "r1",
      text: "raw",
      summary: ["summary"],
      encryptedContent: "gAAA",
    });
  });

  it("carries built-in tool items and their events as opaque, and ignores lifecycle events and anything after the terminal event", () => {
    const events = decode([
      { type: "response.created", response: { status: "in_progress" } },
      added(0, { id: "ws1", type: "web_search_call", status: "in_progress" }),
      { type: "response.web_search_call.searching", item_id: "ws1", output_index: 0, sequence_number: 7 },
      { type: "response.audio.delta", delta: "AAAA" },
      done(0, { id: "ws1", type: "web_search_call", status: "completed", action: { type: "search", query: "q" } }),
      completed(),
      text("m1", 1, "late"),
    ]);
    expect(events).toEqual([
      { type: "opaque.started", itemId: "ws1", value: { type: "web_search_call", status: "in_progress" } },
      { type: "opaque.delta", itemId: "ws1", event: { type: "response.web_search_call.searching", item_id: "ws1" } },
      { type: "opaque.completed", itemId: "ws1", value: { type: "web_search_call", status: "completed", action: { type: "search", query: "q" } } },
      { type: "step.completed", finishReason: "stop" },
    ]);
  });

  it("rejects an event that is not an object", () => {
    expect(() => decode(["nope"])).toThrow(HermesError);
  });
});

describe("decodeResponsesJson", () => {
  it("gives a non-stream body the same events a stream of it would give", () => {
    const events = decodeResponsesJson(
      {
        id: "resp_1",
        object: "response",
        status: "completed",
        output: [
          { id: "rs_x", type: "reasoning", summary: [{ type: "summary_text", text: "Need the weather." }] },
          { id: "msg_x", type: "message", role: "assistant", status: "completed", content: [{ type: "output_text", text: "Checking.", annotations: [] }] },
          { id: "fc_x", type: "function_call", status: "completed", call_id: "call_w", name: "get_weather", arguments: '{"city":"Paris"}' },
        ],
        usage: { input_tokens: 5, output_tokens: 7, total_tokens: 12, output_tokens_details: { reasoning_tokens: 3 } },
      },
      sequentialIds(),
    );
    expect(events).toEqual([
      { type: "reasoning.started", itemId: "rs_x" },
      { type: "reasoning.delta", itemId: "rs_x", delta: "Need the weather.", summaryIndex: 0 },
      { type: "reasoning.completed", itemId: "rs_x", text: "", summary: ["Need the weather."] },
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Checking." },
      { type: "message.completed", itemId: "msg_1", text: "Checking." },
      { type: "tool.call.started", callId: "call_w", itemId: "fc_2", name: "get_weather" },
      { type: "tool.call.delta", callId: "call_w", delta: '{"city":"Paris"}' },
      { type: "tool.call.completed", callId: "call_w", itemId: "fc_2", name: "get_weather", arguments: '{"city":"Paris"}' },
      { type: "step.completed", finishReason: "tool_calls", usage: { inputTokens: 5, outputTokens: 7, totalTokens: 12, reasoningTokens: 3 } },
    ]);
  });

  it("maps an incomplete body and fails a failed one with its message", () => {
    const incomplete = decodeResponsesJson({ status: "incomplete", incomplete_details: { reason: "max_output_tokens" }, output: [] });
    expect(incomplete).toEqual([{ type: "step.completed", finishReason: "length" }]);
    expect(() => decodeResponsesJson({ status: "failed", output: null, error: { code: "server_error", message: "it broke" } })).toThrow(
      "The upstream failed: it broke",
    );
  });

  it("rejects an unfinished (background) response and a body without output", () => {
    expect(() => decodeResponsesJson({ status: "queued", output: [] })).toThrow(/unfinished response \(status queued\)/);
    expect(() => decodeResponsesJson({ object: "response" })).toThrow(/unreadable response/);
    expect(() => decodeResponsesJson("nope")).toThrow(HermesError);
  });

  it("passes on the message of an error envelope sent with a 200", () => {
    expect(() => decodeResponsesJson({ error: { message: "model overloaded" } })).toThrow("The upstream failed: model overloaded");
  });
});
