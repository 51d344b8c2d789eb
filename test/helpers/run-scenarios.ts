import type { HermesErrorInfo, HermesEvent, Usage } from "../../src/protocol/index.ts";

/**
 * Runs as the agent loop emits them, one per situation every wire format must handle: the table the
 * codec conformance suite feeds to each encoder, and the source of the Runs and sessions goldens.
 * Each is a valid run (blocks tied, one terminal event, last).
 */
export interface RunScenario {
  /** Kebab-case: also the golden fixture's file name. */
  name: string;
  events: HermesEvent[];
  /** How the run ended, as every format must report it. */
  outcome: Outcome;
}

/** A run's end, read back from any format: the status, and the error code of a failure. */
export interface Outcome {
  status: "completed" | "incomplete" | "requires_action" | "failed";
  code?: string | null;
}

export const scenarioRunId = "run_1";
export const scenarioCreatedAt = 1700000000;

const started: HermesEvent = { type: "run.started", runId: scenarioRunId, model: "gpt-test", createdAt: scenarioCreatedAt };
const stepUsage: Usage = { inputTokens: 10, outputTokens: 4, totalTokens: 14 };
const secondStepUsage: Usage = { inputTokens: 30, outputTokens: 6, totalTokens: 36 };
const runUsage: Usage = { inputTokens: 40, outputTokens: 10, totalTokens: 50 };

const upstreamError: HermesErrorInfo = { message: "upstream went away", type: "server_error", code: "upstream_error", param: null, status: 502 };
const cancelled: HermesErrorInfo = { message: "The run was cancelled", type: "invalid_request_error", code: "cancelled", param: null, status: 499 };

/** A message block: started, one delta per piece, completed with the pieces joined. */
function message(itemId: string, ...pieces: string[]): HermesEvent[] {
  return [
    { type: "message.started", itemId },
    ...pieces.map((delta): HermesEvent => ({ type: "text.delta", itemId, delta })),
    { type: "message.completed", itemId, text: pieces.join("") },
  ];
}

function reasoning(itemId: string, ...pieces: string[]): HermesEvent[] {
  return [
    { type: "reasoning.started", itemId },
    ...pieces.map((delta): HermesEvent => ({ type: "reasoning.delta", itemId, delta })),
    { type: "reasoning.completed", itemId, text: pieces.join("") },
  ];
}

export const runScenarios: RunScenario[] = [
  {
    name: "text-only",
    events: [
      started,
      ...message("msg_1", "Hello", ', "world"', "\n"),
      { type: "step.completed", finishReason: "stop", usage: stepUsage },
      { type: "run.completed", status: "completed", finishReason: "stop", usage: stepUsage },
    ],
    outcome: { status: "completed" },
  },
  {
    name: "reasoning-and-text",
    events: [
      started,
      ...reasoning("rs_1", "Two plus", " two."),
      ...message("msg_2", "It is", " 4."),
      { type: "step.completed", finishReason: "stop", usage: { ...stepUsage, reasoningTokens: 2 } },
      { type: "run.completed", status: "completed", finishReason: "stop", usage: { ...stepUsage, reasoningTokens: 2 } },
    ],
    outcome: { status: "completed" },
  },
  {
    name: "client-tool-calls",
    events: [
      started,
      { type: "tool.call.started", callId: "call_a", itemId: "fc_1", name: "get_weather", side: "client" },
      { type: "tool.call.delta", callId: "call_a", delta: '{"city":' },
      { type: "tool.call.started", callId: "call_b", itemId: "fc_2", name: "get_time", side: "client" },
      { type: "tool.call.delta", callId: "call_a", delta: '"Paris"}' },
      { type: "tool.call.delta", callId: "call_b", delta: "{}" },
      { type: "tool.call.completed", callId: "call_a", itemId: "fc_1", name: "get_weather", arguments: '{"city":"Paris"}', side: "client" },
      { type: "tool.call.completed", callId: "call_b", itemId: "fc_2", name: "get_time", arguments: "{}", side: "client" },
      { type: "step.completed", finishReason: "tool_calls", usage: stepUsage },
      { type: "run.completed", status: "requires_action", finishReason: "tool_calls", usage: stepUsage },
    ],
    outcome: { status: "requires_action" },
  },
  {
    name: "server-tool-progress",
    events: [
      started,
      ...message("msg_1", "Let me", " check."),
      { type: "tool.call.started", callId: "call_s", itemId: "fc_2", name: "clock", side: "server" },
      { type: "tool.call.delta", callId: "call_s", delta: '{"zone":"UTC"}' },
      { type: "tool.call.completed", callId: "call_s", itemId: "fc_2", name: "clock", arguments: '{"zone":"UTC"}', side: "server" },
      { type: "step.completed", finishReason: "tool_calls", usage: stepUsage },
      { type: "tool.started", callId: "call_s", name: "clock", arguments: '{"zone":"UTC"}', emoji: "🕐", label: "Time in UTC" },
      { type: "tool.completed", callId: "call_s", name: "clock", output: "12:00", isError: false, durationMs: 1500 },
      ...message("msg_3", "It is", " noon."),
      { type: "step.completed", finishReason: "stop", usage: secondStepUsage },
      { type: "run.completed", status: "completed", finishReason: "stop", usage: runUsage },
    ],
    outcome: { status: "completed" },
  },
  {
    name: "failed-before-output",
    events: [started, { type: "run.failed", error: upstreamError }],
    outcome: { status: "failed", code: "upstream_error" },
  },
  {
    name: "failed-mid-stream",
    events: [
      started,
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "partial" },
      { type: "run.failed", error: upstreamError, usage: stepUsage },
    ],
    outcome: { status: "failed", code: "upstream_error" },
  },
  {
    name: "incomplete-length",
    events: [
      started,
      ...message("msg_1", "Once upon", " a time"),
      { type: "step.completed", finishReason: "length", usage: stepUsage },
      { type: "run.completed", status: "incomplete", finishReason: "length", incompleteReason: "max_output_tokens", usage: stepUsage },
    ],
    outcome: { status: "incomplete" },
  },
  {
    name: "cancelled",
    events: [
      started,
      { type: "message.started", itemId: "msg_1" },
      { type: "text.delta", itemId: "msg_1", delta: "Half" },
      { type: "run.failed", error: cancelled, usage: stepUsage },
    ],
    outcome: { status: "failed", code: "cancelled" },
  },
  {
    // A Responses upstream's summarised reasoning (two parts, with its blob) and a hosted web search it ran itself.
    name: "summary-and-hosted-search",
    events: [
      started,
      { type: "reasoning.started", itemId: "rs_1" },
      { type: "reasoning.delta", itemId: "rs_1", delta: "Plan.", summaryIndex: 0 },
      { type: "reasoning.delta", itemId: "rs_1", delta: "Search.", summaryIndex: 1 },
      { type: "reasoning.completed", itemId: "rs_1", text: "", summary: ["Plan.", "Search."], encryptedContent: "ENC" },
      { type: "opaque.started", itemId: "ws_1", value: { type: "web_search_call", status: "in_progress" } },
      { type: "opaque.delta", itemId: "ws_1", event: { type: "response.web_search_call.searching", item_id: "ws_1" } },
      { type: "opaque.completed", itemId: "ws_1", value: { type: "web_search_call", status: "completed", action: { type: "search", query: "q" } } },
      ...message("msg_1", "Found it."),
      { type: "step.completed", finishReason: "stop", usage: stepUsage },
      { type: "run.completed", status: "completed", finishReason: "stop", usage: stepUsage },
    ],
    outcome: { status: "completed" },
  },
];

/** A scenario by name (for goldens and format-specific checks). */
export function scenario(name: string): RunScenario {
  const found = runScenarios.find((candidate) => candidate.name === name);
  if (!found) throw new Error(`no run scenario named ${name}`);
  return found;
}

/** The text of each message of a run, in order, as the deltas carried it. */
export function messageTexts(events: readonly HermesEvent[]): string[] {
  const texts = new Map<string, string>();
  for (const event of events) {
    if (event.type === "message.started") texts.set(event.itemId, "");
    else if (event.type === "text.delta") texts.set(event.itemId, (texts.get(event.itemId) ?? "") + event.delta);
  }
  return [...texts.values()];
}

/** The messages after the run's last server tool result: the answer formats that report "the final answer" give. */
export function answerTexts(events: readonly HermesEvent[]): string[] {
  const lastTool = events.findLastIndex((event) => event.type === "tool.completed");
  return messageTexts(events.slice(lastTool + 1));
}
