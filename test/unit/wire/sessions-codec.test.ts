import { describe, expect, it } from "vitest";
import type { z } from "zod";
import type { HermesEvent, Item } from "../../../src/protocol/index.ts";
import { RunCollector } from "../../../src/runtime/collect.ts";
import { countMessages } from "../../../src/state/session-summary.ts";
import {
  decodeCreateSession,
  decodePatchSession,
  decodeSessionChat,
  decodeSessionId,
  listMessagesQuerySchema,
  listSessionsQuerySchema,
  SessionChatStreamEncoder,
  encodeSessionChatCompletion,
  sessionMessages,
  toSessionsError,
} from "../../../src/wire/sessions/index.ts";
import { expectGolden } from "../../helpers/golden.ts";
import { scenario } from "../../helpers/run-scenarios.ts";
import { sessionOptions, sessionsStream } from "../../helpers/wire-formats.ts";

const usage = { inputTokens: 9, outputTokens: 4, totalTokens: 13 };

/** A turn that thinks, runs a server tool, then answers. */
const toolTurn: HermesEvent[] = [
  { type: "run.started", runId: "run_1", model: "m", createdAt: 1 },
  { type: "reasoning.started", itemId: "rs_1" },
  { type: "reasoning.delta", itemId: "rs_1", delta: "need the time" },
  { type: "reasoning.completed", itemId: "rs_1", text: "need the time" },
  { type: "tool.call.started", callId: "call_1", itemId: "fc_1", name: "clock", side: "server" },
  { type: "tool.call.completed", callId: "call_1", itemId: "fc_1", name: "clock", arguments: '{"zone":"UTC"}', side: "server" },
  { type: "tool.started", callId: "call_1", name: "clock", arguments: '{"zone":"UTC"}', label: "Time in UTC" },
  { type: "tool.completed", callId: "call_1", name: "clock", output: "12:00", isError: false, durationMs: 1500 },
  { type: "message.started", itemId: "msg_up" },
  { type: "text.delta", itemId: "msg_up", delta: "It is " },
  { type: "text.delta", itemId: "msg_up", delta: "noon." },
  { type: "message.completed", itemId: "msg_up", text: "It is noon." },
  { type: "run.completed", status: "completed", finishReason: "stop", usage },
];

function encodeAll(events: HermesEvent[]) {
  let tick = 100;
  // The run's fold beside the encoder, as the runtime keeps it: each event is folded, then encoded.
  const collector = new RunCollector();
  const encoder = new SessionChatStreamEncoder({
    sessionId: "s1",
    runId: "run_1",
    messageId: "msg_1",
    userContent: "What time is it?",
    now: () => tick++,
    run: collector.result,
  });
  return events
    .map((event) => {
      collector.add(event);
      return encoder.encode(event);
    })
    .join("");
}

describe("the session chat stream encoder", () => {
  it("writes named events with session_id, run_id, seq and ts, ending in run.completed and done", () => {
    const text = encodeAll(toolTurn);
    const base = { session_id: "s1", run_id: "run_1" };
    const frames = text
      .trim()
      .split("\n\n")
      .map((frame) => {
        const [eventLine, dataLine] = frame.split("\n");
        return { event: eventLine!.replace("event: ", ""), data: JSON.parse(dataLine!.replace("data: ", "")) };
      });
    expect(frames.map((frame) => frame.event)).toEqual([
      "run.started",
      "message.started",
      "tool.progress",
      "tool.started",
      "tool.completed",
      "assistant.delta",
      "assistant.delta",
      "assistant.completed",
      "run.completed",
      "done",
    ]);
    expect(frames.map((frame) => frame.data.seq)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(frames.map((frame) => frame.data.ts)).toEqual([100, 101, 102, 103, 104, 105, 106, 107, 108, 109]);
    expect(frames[0]!.data).toEqual({ ...base, seq: 1, ts: 100, user_message: { role: "user", content: "What time is it?" } });
    expect(frames[1]!.data).toMatchObject({ message: { id: "msg_1", role: "assistant" } });
    expect(frames[2]!.data).toMatchObject({ message_id: "msg_1", tool_name: "_thinking", delta: "need the time" });
    expect(frames[3]!.data).toMatchObject({ message_id: "msg_1", tool_name: "clock", tool_call_id: "call_1", preview: "Time in UTC", args: { zone: "UTC" } });
    expect(frames[4]!.data).toMatchObject({ tool_name: "clock", preview: "Time in UTC", args: { zone: "UTC" }, duration: 1.5 });
    expect(frames[5]!.data).toMatchObject({ message_id: "msg_1", delta: "It is " });
    expect(frames[7]!.data).toEqual({
      ...base,
      seq: 8,
      ts: 107,
      message_id: "msg_1",
      content: "It is noon.",
      completed: true,
      partial: false,
      interrupted: false,
    });
    expect(frames[8]!.data).toMatchObject({
      message_id: "msg_1",
      completed: true,
      usage: { input_tokens: 9, output_tokens: 4, total_tokens: 13 },
      messages: [
        {
          role: "assistant",
          content: null,
          reasoning: "need the time",
          tool_calls: [{ id: "call_1", type: "function", function: { name: "clock", arguments: '{"zone":"UTC"}' } }],
        },
        { role: "tool", content: "12:00", tool_call_id: "call_1", tool_name: "clock" },
        { role: "assistant", content: "It is noon." },
      ],
    });
    expect(frames[9]!.data).toEqual({ ...base, seq: 10, ts: 109 });
  });

  it("ends a failed turn with error then done, and reports a failed tool as tool.failed", () => {
    const text = encodeAll([
      toolTurn[0]!,
      { type: "tool.started", callId: "c", name: "fetch", arguments: "{}" },
      { type: "tool.completed", callId: "c", name: "fetch", output: "refused", isError: true, durationMs: 2 },
      { type: "run.failed", error: { message: "Upstream down", type: "server_error", code: "upstream_error", param: null, status: 502 } },
    ]);
    expect(text).toContain(
      'event: tool.failed\ndata: {"message_id":"msg_1","tool_name":"fetch","tool_call_id":"c","preview":"","args":{},"duration":0.002,"error":"refused"',
    );
    expect(text.endsWith('event: done\ndata: {"session_id":"s1","run_id":"run_1","seq":6,"ts":105}\n\n')).toBe(true);
    expect(text).toContain('event: error\ndata: {"message":"Upstream down","code":"upstream_error","session_id":"s1","run_id":"run_1","seq":5,"ts":104}');
  });
});

describe("the session chat stream and body, against their goldens", () => {
  const fixture = (file: string) => new URL(`../../fixtures/wire/sessions/${file}`, import.meta.url);
  // UPDATE_FIXTURES=1 rewrites these from test/helpers/run-scenarios.ts; review the diff.
  it.each(["text-only", "server-tool-progress", "incomplete-length", "failed-mid-stream", "cancelled"])("streams %s as recorded", (name) => {
    expectGolden(sessionsStream.encode(scenario(name).events).sse, fixture(`${name}.sse`));
  });

  it("answers server-tool-progress as recorded, without streaming", () => {
    const collector = new RunCollector();
    for (const event of scenario("server-tool-progress").events) collector.add(event);
    const body = encodeSessionChatCompletion(sessionOptions.sessionId, sessionOptions.runId, collector.result);
    expectGolden(`${JSON.stringify(body, null, 2)}\n`, fixture("server-tool-progress.json"));
  });
});

describe("session messages", () => {
  const items: Item[] = [
    { type: "message", role: "system", content: [{ type: "input_text", text: "Be brief." }] },
    {
      type: "message",
      id: "u1",
      role: "user",
      content: [
        { type: "input_text", text: "Look" },
        { type: "input_image", image_url: "https://example.com/a.png" },
      ],
    },
    { type: "message", role: "assistant", content: [{ type: "output_text", text: "Checking" }] },
    { type: "function_call", call_id: "a", name: "one", arguments: "{}" },
    { type: "function_call", call_id: "b", name: "two", arguments: "{}" },
    { type: "function_call_output", call_id: "a", output: "1" },
    { type: "function_call_output", call_id: "b", output: "2" },
    { type: "reasoning", text: "hmm" },
  ];

  it("maps items to chat-style messages and counts them the same way", () => {
    const messages = sessionMessages("s", items);
    expect(messages).toEqual([
      { id: "item_0", session_id: "s", role: "system", content: "Be brief." },
      {
        id: "u1",
        session_id: "s",
        role: "user",
        content: [
          { type: "text", text: "Look" },
          { type: "image_url", image_url: { url: "https://example.com/a.png" } },
        ],
      },
      {
        id: "item_2",
        session_id: "s",
        role: "assistant",
        content: "Checking",
        tool_calls: [
          { id: "a", type: "function", function: { name: "one", arguments: "{}" } },
          { id: "b", type: "function", function: { name: "two", arguments: "{}" } },
        ],
      },
      { id: "item_5", session_id: "s", role: "tool", content: "1", tool_call_id: "a", tool_name: "one" },
      { id: "item_6", session_id: "s", role: "tool", content: "2", tool_call_id: "b", tool_name: "two" },
      { id: "item_8", session_id: "s", role: "assistant", content: "", reasoning: "hmm" },
    ]);
    expect(countMessages(items)).toEqual({ messages: messages.length, toolCalls: 2 });
  });
});

describe("session request decoding", () => {
  const codeOf = (run: () => unknown) => {
    try {
      run();
    } catch (error) {
      return { code: (error as { code: string }).code, param: (error as { param: string }).param, status: (error as { status: number }).status };
    }
    return undefined;
  };

  /** What the paging routes get from h3's `getValidatedQuery`: the schema's output, or `toSessionsError` of its issues. */
  const decodeQuery = <S extends z.ZodType>(schema: S, query: Record<string, string | string[]>): z.output<S> => {
    const parsed = schema.safeParse(query);
    if (!parsed.success) throw toSessionsError(parsed.error);
    return parsed.data;
  };

  it("validates ids, titles, patch fields, chat messages and paging with stable codes", () => {
    expect(decodeSessionId("any printable id: ../é")).toBe("any printable id: ../é");
    for (const id of ["", "a\nb", "x".repeat(257), "\u0000"])
      expect(codeOf(() => decodeSessionId(id))).toMatchObject({ code: "invalid_session_id", status: 400 });
    expect(codeOf(() => decodeCreateSession({ id: "bad\r" }))).toMatchObject({ code: "invalid_session_id", param: "id" });
    expect(codeOf(() => decodeCreateSession({ title: "t".repeat(201) }))).toMatchObject({ code: "invalid_title", param: "title" });
    expect(codeOf(() => decodeCreateSession([]))).toMatchObject({ code: "invalid_request", status: 400 });
    expect(decodeCreateSession({ session_id: "s", title: "" })).toMatchObject({ id: "s", title: null });

    expect(codeOf(() => decodePatchSession({ title: "ok", model: "x", pinned: true }))).toEqual({
      code: "unsupported_session_field",
      param: "model,pinned",
      status: 400,
    });
    expect(codeOf(() => decodePatchSession({ title: 5 }))).toMatchObject({ code: "invalid_title" });
    expect(decodePatchSession({ title: null, ended: "true" })).toEqual({ title: null, ended: true });

    expect(codeOf(() => decodeSessionChat({}))).toMatchObject({ code: "missing_message", param: "message" });
    expect(codeOf(() => decodeSessionChat({ message: "   " }))).toMatchObject({ code: "missing_message" });
    expect(codeOf(() => decodeSessionChat({ message: "hi", instructions: 3 }))).toMatchObject({ code: "invalid_system_message" });
    expect(decodeSessionChat({ input: [{ type: "text", text: "hi" }], system_message: "x" })).toMatchObject({
      message: { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
      instructions: "x",
    });

    expect(decodeQuery(listSessionsQuerySchema, {})).toEqual({ limit: 50, offset: 0, after: undefined });
    expect(decodeQuery(listSessionsQuerySchema, { limit: ["3", "7"], offset: "", after: "c" })).toEqual({ limit: 7, offset: 0, after: "c" });
    for (const query of [{ limit: "0" }, { limit: "201" }, { limit: "-1" }, { offset: "x" }, { limit: "1.5" }] as Record<string, string>[])
      expect(codeOf(() => decodeQuery(listSessionsQuerySchema, query))).toMatchObject({ code: "invalid_pagination", status: 400 });
    expect(decodeQuery(listMessagesQuerySchema, { limit: "500", offset: "3" })).toEqual({ limit: 500, offset: 3 });
    expect(codeOf(() => decodeQuery(listMessagesQuerySchema, { limit: "501" }))).toMatchObject({ code: "invalid_pagination", param: "limit" });
  });
});
