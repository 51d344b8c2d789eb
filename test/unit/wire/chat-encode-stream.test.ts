import { describe, expect, it } from "vitest";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import { ChatStreamEncoder, encodeChatCompletion } from "../../../src/wire/chat/index.ts";
import { RunCollector } from "../../../src/runtime/collect.ts";
import { expectGolden } from "../../helpers/golden.ts";
import { sseJson } from "../../helpers/sse.ts";

const fixture = (name: string) => new URL(`../../fixtures/wire/chat/${name}.sse`, import.meta.url);
const usage = { inputTokens: 10, outputTokens: 4, totalTokens: 14 };
const started: HermesEvent = { type: "run.started", runId: "chatcmpl-1", model: "gpt-test", createdAt: 1700000000 };

function encode(events: HermesEvent[], includeUsage = false): string {
  const encoder = new ChatStreamEncoder({ includeUsage });
  return events.map((event) => encoder.encode(event)).join("");
}

describe("chat stream encoder", () => {
  it("streams text with a role chunk, content chunks, a finish chunk, usage and [DONE]", () => {
    const events: HermesEvent[] = [
      started,
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Hello" },
      { type: "text.delta", itemId: "msg_1", delta: ', "world"\n' },
      { type: "message.completed", itemId: "msg_1", text: 'Hello, "world"\n' },
      { type: "step.completed", finishReason: "stop", usage },
      { type: "run.completed", status: "completed", finishReason: "stop", usage },
    ];
    const sse = encode(events, true);
    expectGolden(sse, fixture("text-with-usage"));
    const chunks = sseJson<{ choices: { delta: { content?: string } }[] }>(sse);
    expect(chunks.map((chunk) => chunk.choices[0]?.delta.content ?? "").join("")).toBe('Hello, "world"\n');
    expect(sse.endsWith("data: [DONE]\n\n")).toBe(true);
  });

  it("streams client tool calls as indexed tool_calls deltas ending in finish_reason tool_calls", () => {
    const events: HermesEvent[] = [
      started,
      { type: "tool.call.started", callId: "call_a", itemId: "fc_a", name: "get_weather", side: "client" },
      { type: "tool.call.delta", callId: "call_a", delta: '{"city":' },
      { type: "tool.call.started", callId: "call_b", itemId: "fc_b", name: "get_time", side: "client" },
      { type: "tool.call.delta", callId: "call_a", delta: '"Paris"}' },
      { type: "tool.call.delta", callId: "call_b", delta: "{}" },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_a", name: "get_weather", arguments: '{"city":"Paris"}', side: "client" },
      { type: "tool.call.completed", callId: "call_b", itemId: "fc_b", name: "get_time", arguments: "{}", side: "client" },
      { type: "run.completed", status: "requires_action", finishReason: "tool_calls", usage },
    ];
    const sse = encode(events);
    expectGolden(sse, fixture("parallel-tool-calls"));
    expect(sse).not.toContain('"usage"');
    expect(sse).toContain('"finish_reason":"tool_calls"');
  });

  it("sends server tool progress as hermes.tool.progress events, never as content", () => {
    const events: HermesEvent[] = [
      started,
      { type: "tool.call.started", callId: "call_s", itemId: "fc_s", name: "clock", side: "server" },
      { type: "tool.call.delta", callId: "call_s", delta: "{}" },
      { type: "tool.started", callId: "call_s", name: "clock", arguments: "{}" },
      { type: "tool.completed", callId: "call_s", name: "clock", output: "12:00", isError: false, durationMs: 3 },
      { type: "message.started", itemId: "msg_2" },
      { type: "text.delta", itemId: "msg_2", delta: "It is noon." },
      { type: "message.completed", itemId: "msg_2", text: "It is noon." },
      { type: "run.completed", status: "completed", finishReason: "stop", usage },
    ];
    const sse = encode(events);
    expectGolden(sse, fixture("server-tool-progress"));
    expect(sse).not.toContain('"tool_calls"');
    expect(sse.match(/event: hermes\.tool\.progress/g)).toHaveLength(2);
  });

  it("takes the progress emoji and label from the tool's definition when the event carries them", () => {
    const encoder = new ChatStreamEncoder({ includeUsage: false });
    encoder.encode(started);
    const frame = encoder.encode({
      type: "tool.started",
      callId: "call_t",
      name: "get_current_time",
      arguments: "{}",
      emoji: "🕐",
      label: "Time in Asia/Tokyo",
    });
    expect(frame).toBe(
      'event: hermes.tool.progress\ndata: {"id":"chatcmpl-1","object":"chat.completion.chunk","created":1700000000,"model":"gpt-test","choices":[],"tool":"get_current_time","emoji":"🕐","label":"Time in Asia/Tokyo","toolCallId":"call_t","status":"running"}\n\n',
    );
  });

  it("ends a failed run with an error frame and [DONE], once", () => {
    const encoder = new ChatStreamEncoder({ includeUsage: false });
    const error = { message: "upstream went away", type: "server_error" as const, code: "upstream_error", param: null, status: 502 };
    const sse = [started, { type: "message.started", itemId: "m" }, { type: "text.delta", itemId: "m", delta: "partial" }, { type: "run.failed", error }]
      .map((event) => encoder.encode(event as HermesEvent))
      .join("");
    expectGolden(sse, fixture("failed-mid-stream"));
    expect(encoder.abort(error)).toBe("");
  });

  it("streams reasoning as reasoning_content deltas", () => {
    const events: HermesEvent[] = [
      started,
      { type: "reasoning.started", itemId: "rs_1" },
      { type: "reasoning.delta", itemId: "rs_1", delta: "thinking" },
      { type: "reasoning.completed", itemId: "rs_1", text: "thinking" },
      { type: "run.completed", status: "incomplete", finishReason: "length", incompleteReason: "max_output_tokens", usage },
    ];
    const sse = encode(events);
    expect(sseJson<{ choices: { delta: Record<string, string>; finish_reason: string | null }[] }>(sse).map((c) => c.choices[0])).toEqual([
      expect.objectContaining({ delta: { role: "assistant", content: "" } }),
      expect.objectContaining({ delta: { reasoning_content: "thinking" } }),
      expect.objectContaining({ delta: {}, finish_reason: "length" }),
    ]);
  });

  it("keeps the messages of a run's later steps apart with a blank line, in the stream and the JSON body alike", () => {
    const events: HermesEvent[] = [
      started,
      { type: "message.started", itemId: "m1" },
      { type: "text.delta", itemId: "m1", delta: "Let me check." },
      { type: "message.completed", itemId: "m1", text: "Let me check." },
      { type: "message.started", itemId: "m2" },
      { type: "text.delta", itemId: "m2", delta: "Done." },
      { type: "message.completed", itemId: "m2", text: "Done." },
      { type: "run.completed", status: "completed", finishReason: "stop", usage },
    ];
    const streamed = sseJson<{ choices: { delta: { content?: string } }[] }>(encode(events))
      .map((chunk) => chunk.choices[0]?.delta.content ?? "")
      .join("");
    const collector = new RunCollector();
    for (const event of events) collector.add(event);
    expect(streamed).toBe("Let me check.\n\nDone.");
    expect(encodeChatCompletion(collector.result).choices[0]?.message.content).toBe(streamed);
  });
});
