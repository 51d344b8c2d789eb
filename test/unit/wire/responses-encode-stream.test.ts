import { describe, expect, it } from "vitest";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import { defaultSettings, ResponsesStreamEncoder } from "../../../src/wire/responses/index.ts";
import { ResponseFold } from "../../../src/runtime/turns/response-fold.ts";
import { expectGolden } from "../../helpers/golden.ts";
import { parseSse } from "../../helpers/sse.ts";

const fixture = (name: string) => new URL(`../../fixtures/wire/responses/${name}.sse`, import.meta.url);
const meta = { id: "resp_1", createdAt: 1700000000, model: "gpt-test", settings: defaultSettings };
const usage = { inputTokens: 10, outputTokens: 4, totalTokens: 14 };
const started: HermesEvent = { type: "run.started", runId: "resp_1", model: "gpt-test", createdAt: 1700000000 };

/** Events folded once by the run's fold (as the runtime does), then mapped by the encoder. */
function encode(events: HermesEvent[]) {
  const fold = new ResponseFold(meta);
  const encoder = new ResponsesStreamEncoder(meta, () => fold.response());
  const sse = events
    .map((event) => {
      fold.collector.add(event);
      return encoder.encode(event);
    })
    .join("");
  const frames = parseSse(sse).map((frame) => ({ event: frame.event, data: JSON.parse(frame.data) }));
  return { sse, frames, fold };
}

/** Invariants every Responses stream keeps, whatever it carries. */
function expectInvariants(frames: { event: string | undefined; data: Record<string, unknown> }[]) {
  expect(frames.map((frame) => frame.data.sequence_number)).toEqual(frames.map((_, index) => index));
  for (const frame of frames) expect(frame.event).toBe(frame.data.type);
  const added = frames.filter((f) => f.data.type === "response.output_item.added").map((f) => (f.data.item as { id: string }).id);
  const done = frames.filter((f) => f.data.type === "response.output_item.done").map((f) => (f.data.item as { id: string }).id);
  expect([...done].sort()).toEqual([...added].sort());
  const terminal = frames.at(-1)!.data as { type: string; response: { output: { id: string }[] } };
  expect(["response.completed", "response.incomplete", "response.failed"]).toContain(terminal.type);
  expect(terminal.response.output.map((item) => item.id)).toEqual(added);
}

describe("responses stream encoder", () => {
  it("streams reasoning then text with the full event set", () => {
    const { sse, frames } = encode([
      started,
      { type: "reasoning.started", itemId: "rs_1" },
      { type: "reasoning.delta", itemId: "rs_1", delta: "Hmm" },
      { type: "reasoning.completed", itemId: "rs_1", text: "Hmm" },
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Hello" },
      { type: "text.delta", itemId: "msg_1", delta: " there" },
      { type: "message.completed", itemId: "msg_1", text: "Hello there" },
      { type: "step.completed", finishReason: "stop", usage },
      { type: "run.completed", status: "completed", finishReason: "stop", usage },
    ]);
    expectGolden(sse, fixture("reasoning-and-text"));
    expectInvariants(frames);
    expect(frames.map((frame) => frame.data.type)).toEqual([
      "response.created",
      "response.in_progress",
      "response.output_item.added",
      "response.content_part.added",
      "response.reasoning_text.delta",
      "response.reasoning_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.output_item.added",
      "response.content_part.added",
      "response.output_text.delta",
      "response.output_text.delta",
      "response.output_text.done",
      "response.content_part.done",
      "response.output_item.done",
      "response.completed",
    ]);
  });

  it("streams client function calls with argument deltas and server tool outputs as items", () => {
    const { sse, frames } = encode([
      started,
      { type: "tool.call.started", callId: "call_s", itemId: "fc_s", name: "clock", side: "server" },
      { type: "tool.call.delta", callId: "call_s", delta: "{}" },
      { type: "tool.call.completed", callId: "call_s", itemId: "fc_s", name: "clock", arguments: "{}", side: "server" },
      { type: "tool.started", callId: "call_s", name: "clock", arguments: "{}" },
      { type: "tool.completed", callId: "call_s", name: "clock", output: "12:00", isError: false, durationMs: 2 },
      { type: "tool.call.started", callId: "call_c", itemId: "fc_c", name: "get_weather", side: "client" },
      { type: "tool.call.delta", callId: "call_c", delta: '{"city":' },
      { type: "tool.call.delta", callId: "call_c", delta: '"Oslo"}' },
      { type: "tool.call.completed", callId: "call_c", itemId: "fc_c", name: "get_weather", arguments: '{"city":"Oslo"}', side: "client" },
      { type: "run.completed", status: "requires_action", finishReason: "tool_calls", usage },
    ]);
    expectGolden(sse, fixture("tool-calls"));
    expectInvariants(frames);
    const terminal = frames.at(-1)!.data as { type: string; response: { status: string; output: { type: string }[] } };
    expect(terminal.type).toBe("response.completed");
    expect(terminal.response.output.map((item) => item.type)).toEqual(["function_call", "function_call_output", "function_call"]);
  });

  it("ends a failed run with response.failed carrying the error and what was produced", () => {
    const { sse, frames } = encode([
      started,
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "partial" },
      { type: "run.failed", error: { message: "upstream reset", type: "server_error", code: "upstream_error", param: null, status: 502 } },
    ]);
    expectGolden(sse, fixture("failed"));
    const terminal = frames.at(-1)!.data as { type: string; response: { status: string; error: unknown; output: { content: { text: string }[] }[] } };
    expect(terminal.type).toBe("response.failed");
    expect(terminal.response).toMatchObject({ status: "failed", error: { code: "upstream_error", message: "upstream reset" } });
    expect(terminal.response.output[0]?.content[0]?.text).toBe("partial");
  });

  it("reports a length-limited run as response.incomplete", () => {
    const { frames } = encode([
      started,
      { type: "message.started", itemId: "m" },
      { type: "text.delta", itemId: "m", delta: "cut" },
      { type: "message.completed", itemId: "m", text: "cut" },
      { type: "run.completed", status: "incomplete", finishReason: "length", incompleteReason: "max_output_tokens", usage },
    ]);
    expectInvariants(frames);
    expect(frames.at(-1)?.data).toMatchObject({
      type: "response.incomplete",
      response: { status: "incomplete", incomplete_details: { reason: "max_output_tokens" } },
    });
  });

  it("gives a cut-short response as incomplete with the text that did arrive", () => {
    const { fold } = encode([started, { type: "message.started", itemId: "m" }, { type: "text.delta", itemId: "m", delta: "half an ans" }]);
    expect(fold.response({ status: "incomplete", reason: "client_disconnected" })).toMatchObject({
      status: "incomplete",
      incomplete_details: { reason: "client_disconnected" },
      output: [{ id: "m", content: [{ text: "half an ans" }] }],
    });
  });
});
