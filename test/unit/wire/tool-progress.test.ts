import { describe, expect, it } from "vitest";
import type { HermesEvent } from "../../../src/protocol/index.ts";
import { RunCollector } from "../../../src/runtime/collect.ts";
import { ChatStreamEncoder } from "../../../src/wire/chat/index.ts";
import { RunsEventEncoder } from "../../../src/wire/runs/index.ts";
import { SessionChatStreamEncoder } from "../../../src/wire/sessions/index.ts";
import { parseSse } from "../../helpers/sse.ts";

const started: HermesEvent = { type: "run.started", runId: "run_1", model: "m", createdAt: 1 };
const progress: HermesEvent = { type: "tool.progress", callId: "call_1", name: "docs__index", progress: 2, total: 5, message: "2 of 5 files" };
const bare: HermesEvent = { type: "tool.progress", callId: "call_1", name: "docs__index", progress: 0.5 };

describe("tool.progress in each wire format", () => {
  it("Chat: a hermes.tool.progress frame with status running", () => {
    // Each progress payload is also an empty chat.completion.chunk, so that SDKs reading every data frame as a chunk cope.
    const emptyChunk = { id: "run_1", object: "chat.completion.chunk", created: 1, model: "m", choices: [] };
    const encoder = new ChatStreamEncoder({ includeUsage: false });
    encoder.encode(started);
    const frames = parseSse(encoder.encode(progress) + encoder.encode(bare));
    expect(frames.map((frame) => [frame.event, JSON.parse(frame.data)])).toEqual([
      ["hermes.tool.progress", { ...emptyChunk, tool: "docs__index", toolCallId: "call_1", status: "running", progress: 2, total: 5, message: "2 of 5 files" }],
      ["hermes.tool.progress", { ...emptyChunk, tool: "docs__index", toolCallId: "call_1", status: "running", progress: 0.5 }],
    ]);
  });

  it("Runs: a tool.progress payload", () => {
    const collector = new RunCollector();
    const encoder = new RunsEventEncoder("run_1", collector.result);
    expect(encoder.encode(progress, 12.5)).toEqual({
      event: "tool.progress",
      run_id: "run_1",
      timestamp: 12.5,
      tool: "docs__index",
      tool_call_id: "call_1",
      progress: 2,
      total: 5,
      message: "2 of 5 files",
    });
  });

  it("Sessions: a tool.progress frame with the message as its delta", () => {
    const collector = new RunCollector();
    const encoder = new SessionChatStreamEncoder({
      sessionId: "s1",
      runId: "run_1",
      messageId: "msg_1",
      userContent: "go",
      now: () => 7,
      run: collector.result,
    });
    const [frame] = parseSse(encoder.encode(progress));
    expect(frame?.event).toBe("tool.progress");
    expect(JSON.parse(frame?.data ?? "")).toEqual({
      message_id: "msg_1",
      tool_name: "docs__index",
      tool_call_id: "call_1",
      delta: "2 of 5 files",
      progress: 2,
      total: 5,
      message: "2 of 5 files",
      session_id: "s1",
      run_id: "run_1",
      seq: 1,
      ts: 7,
    });
  });

  it("the collector keeps nothing of it: progress is not output", () => {
    const collector = new RunCollector();
    collector.add(started);
    collector.add(progress);
    expect(collector.result.output).toEqual([]);
  });
});
