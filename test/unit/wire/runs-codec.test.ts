import { describe, expect, it } from "vitest";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import { RunCollector } from "../../../src/runtime/collect.ts";
import { decodeApprovalRequest, decodeRunRequest, encodeRunStatus, RunsEventEncoder } from "../../../src/wire/runs/index.ts";
import { expectGolden } from "../../helpers/golden.ts";
import { scenario } from "../../helpers/run-scenarios.ts";
import { encodeRunsStream } from "../../helpers/wire-formats.ts";

const usage = { inputTokens: 10, outputTokens: 5, totalTokens: 15 };

/** The encoder with the run's fold beside it, as the run executor keeps them: each event is folded, then encoded. */
function foldingEncoder(runId: string) {
  const collector = new RunCollector();
  const encoder = new RunsEventEncoder(runId, collector.result);
  return {
    encode(event: HermesEvent, timestamp: number) {
      collector.add(event);
      return encoder.encode(event, timestamp);
    },
  };
}

describe("RunsEventEncoder", () => {
  it("maps a tool-calling run onto the original server's payloads", () => {
    const events: HermesEvent[] = [
      { type: "run.started", runId: "run_1", model: "m", createdAt: 1 },
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Checking." },
      { type: "message.completed", itemId: "msg_1", text: "Checking." },
      { type: "reasoning.started", itemId: "rs_1" },
      { type: "reasoning.delta", itemId: "rs_1", delta: "hmm" },
      { type: "reasoning.completed", itemId: "rs_1", text: "hmm" },
      { type: "tool.call.started", callId: "call_1", itemId: "fc_1", name: "clock", side: "server" },
      { type: "tool.call.delta", callId: "call_1", delta: "{}" },
      { type: "tool.call.completed", callId: "call_1", itemId: "fc_1", name: "clock", arguments: '{"zone":"UTC"}', side: "server" },
      { type: "step.completed", finishReason: "tool_calls", usage },
      { type: "tool.started", callId: "call_1", name: "clock", arguments: '{"zone":"UTC"}' },
      { type: "tool.completed", callId: "call_1", name: "clock", output: "noon", isError: false, durationMs: 12.4 },
      { type: "message.started", itemId: "msg_2" },
      { type: "text.delta", itemId: "msg_2", delta: "Noon." },
      { type: "message.completed", itemId: "msg_2", text: "Noon." },
      { type: "run.completed", status: "completed", finishReason: "stop", usage },
    ];
    const encoder = foldingEncoder("run_1");
    const payloads = events.map((event, index) => encoder.encode(event, 100 + index)).filter((payload) => payload !== undefined);
    expect(payloads).toEqual([
      { event: "message.delta", run_id: "run_1", timestamp: 102, delta: "Checking." },
      { event: "reasoning.available", run_id: "run_1", timestamp: 106, text: "hmm" },
      { event: "tool.started", run_id: "run_1", timestamp: 111, tool: "clock", preview: '{"zone":"UTC"}', tool_call_id: "call_1" },
      { event: "tool.completed", run_id: "run_1", timestamp: 112, tool: "clock", duration: 0.012, error: false, tool_call_id: "call_1" },
      { event: "message.delta", run_id: "run_1", timestamp: 114, delta: "Noon." },
      { event: "run.completed", run_id: "run_1", timestamp: 116, output: "Noon.", usage: { input_tokens: 10, output_tokens: 5, total_tokens: 15 } },
    ]);
  });

  it("reports a stop as run.cancelled, other failures as run.failed, client calls on run.completed", () => {
    const error = (code: string) => ({ message: "m", type: "server_error" as const, code, param: null, status: 500 });
    expect(foldingEncoder("r").encode({ type: "run.failed", error: error("cancelled") }, 1)).toEqual({ event: "run.cancelled", run_id: "r", timestamp: 1 });
    expect(foldingEncoder("r").encode({ type: "run.failed", error: error("upstream_error") }, 1)).toEqual({
      event: "run.failed",
      run_id: "r",
      timestamp: 1,
      error: "m",
      code: "upstream_error",
    });
    const encoder = foldingEncoder("r");
    encoder.encode({ type: "tool.call.completed", callId: "c", itemId: "i", name: "mine", arguments: "{}", side: "client" }, 1);
    expect(encoder.encode({ type: "run.completed", status: "requires_action", finishReason: "tool_calls", usage }, 2)).toMatchObject({
      status: "requires_action",
      tool_calls: [{ id: "c", name: "mine", arguments: "{}" }],
    });
  });
});

describe("the Runs event stream, against its goldens", () => {
  const fixture = (name: string) => new URL(`../../fixtures/wire/runs/${name}.sse`, import.meta.url);
  // UPDATE_FIXTURES=1 rewrites these from test/helpers/run-scenarios.ts; review the diff.
  it.each(["text-only", "server-tool-progress", "client-tool-calls", "incomplete-length", "failed-mid-stream", "cancelled"])(
    "writes %s as recorded",
    (name) => {
      expectGolden(encodeRunsStream(scenario(name).events), fixture(name));
    },
  );
});

describe("decodeRunRequest", () => {
  it("takes a string or items, chat- or responses-shaped tools", () => {
    const decoded = decodeRunRequest({
      input: [
        { role: "user", content: "Hi" },
        { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
        { type: "function_call_output", call_id: "c1", output: "ok" },
        {
          role: "user",
          content: [
            { type: "text", text: "And?" },
            { type: "image_url", image_url: { url: "https://x.test/a.png" } },
          ],
        },
      ],
      tools: [
        { type: "function", function: { name: "a" } },
        { type: "function", name: "b", parameters: { type: "object" } },
      ],
      session_id: "s",
      unknown_field: true,
    });
    expect(decoded.input).toEqual([
      { type: "message", role: "user", content: [{ type: "input_text", text: "Hi" }] },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      { type: "function_call_output", call_id: "c1", output: "ok" },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "And?" },
          { type: "input_image", image_url: "https://x.test/a.png" },
        ],
      },
    ]);
    expect(decoded.tools).toEqual([{ name: "a" }, { name: "b", parameters: { type: "object" } }]);
    expect(decoded.sessionId).toBe("s");
  });

  it("refuses an empty input and names bad fields", () => {
    expect(() => decodeRunRequest({ input: "  " })).toThrow("No user message found in input");
    expect(() => decodeRunRequest({})).toThrow(/at 'input'/);
    expect(() => decodeRunRequest({ input: "x", session_id: "a\nb" })).toThrow(/Session ids must be printable/);
  });

  it("reads approval choices with the original server's aliases", () => {
    expect(decodeApprovalRequest({ choice: "Allow" })).toEqual({ choice: "once", all: false });
    expect(decodeApprovalRequest({ choice: "deny", all: "true" })).toEqual({ choice: "deny", all: true });
    expect(() => decodeApprovalRequest({ choice: "session" })).toThrow('expected "once" or "deny"');
  });
});

describe("encodeRunStatus", () => {
  it("builds the hermes.run object", () => {
    expect(
      encodeRunStatus({
        id: "run_1",
        status: "failed",
        createdAt: 1,
        updatedAt: 2,
        sessionId: "s",
        model: "m",
        lastEvent: "run.failed",
        output: null,
        usage: null,
        error: { message: "boom", code: "upstream_error" },
        approval: null,
      }),
    ).toEqual({
      object: "hermes.run",
      run_id: "run_1",
      status: "failed",
      created_at: 1,
      updated_at: 2,
      session_id: "s",
      model: "m",
      last_event: "run.failed",
      output: null,
      usage: null,
      // A string, as on the original server and in `run.failed`; the code beside it.
      error: "boom",
      error_code: "upstream_error",
    });
  });

  it("lists a requires_action run's client tool calls", () => {
    const calls = [{ id: "call_1", name: "get_weather", arguments: '{"city":"Rome"}' }];
    const base = {
      id: "run_2",
      createdAt: 1,
      updatedAt: 2,
      sessionId: "s",
      model: "m",
      lastEvent: "run.completed",
      output: "",
      usage: null,
      error: null,
      approval: null,
    };
    expect(encodeRunStatus({ ...base, status: "requires_action", toolCalls: calls })).toMatchObject({
      status: "requires_action",
      tool_calls: calls,
      error: null,
      error_code: null,
    });
    expect(encodeRunStatus({ ...base, status: "completed" })).not.toHaveProperty("tool_calls");
  });
});
