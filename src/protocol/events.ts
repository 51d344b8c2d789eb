import type { HermesErrorInfo } from "./errors.ts";
import type { Usage } from "./usage.ts";

/**
 * The internal event protocol: every upstream decodes into it, the agent loop speaks it, every wire
 * encoder reads it, and plugins observe it. A closed union named noun-then-verb with one verb table
 * (`started`, `delta`, `completed`, `failed`); every block with deltas has an id that ties its start,
 * deltas and end together. Changing it means changing every codec: keep it small.
 */

/** Who runs a tool call: a plugin inside the proxy, or the client that sent the tools. */
export type ToolSide = "server" | "client";

/** Why one upstream call stopped. */
export type FinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export interface RunStartedEvent {
  type: "run.started";
  runId: string;
  /** The model name reported to the client. */
  model: string;
  /** Unix seconds. */
  createdAt: number;
}

export interface MessageStartedEvent {
  type: "message.started";
  itemId: string;
}

export interface TextDeltaEvent {
  type: "text.delta";
  itemId: string;
  delta: string;
}

export interface MessageCompletedEvent {
  type: "message.completed";
  itemId: string;
  /** The whole text of the message. */
  text: string;
  /** The upstream's annotations on it (a web search's citations), when it gave any. */
  annotations?: { type: string; [key: string]: unknown }[];
}

export interface ReasoningStartedEvent {
  type: "reasoning.started";
  itemId: string;
}

export interface ReasoningDeltaEvent {
  type: "reasoning.delta";
  itemId: string;
  delta: string;
  /** Set when the delta belongs to the upstream's summary: which summary part; unset, it is reasoning text. */
  summaryIndex?: number;
}

export interface ReasoningCompletedEvent {
  type: "reasoning.completed";
  itemId: string;
  /** The whole reasoning text ("" when the upstream sent only a summary). */
  text: string;
  /** The summary parts, when the upstream summarised. */
  summary?: string[];
  /** The upstream's opaque copy of the reasoning, to send back with the history. */
  encryptedContent?: string;
}

export interface ToolCallStartedEvent {
  type: "tool.call.started";
  /** The id the model gave the call; tool results refer to it. */
  callId: string;
  itemId: string;
  name: string;
  /** The client's namespace tool the function belongs to (set by the agent loop). */
  namespace?: string;
  /** Set by the agent loop; upstreams leave it out. */
  side?: ToolSide;
}

export interface ToolCallDeltaEvent {
  type: "tool.call.delta";
  callId: string;
  /** A piece of the arguments JSON, as the upstream streamed it. */
  delta: string;
}

export interface ToolCallCompletedEvent {
  type: "tool.call.completed";
  callId: string;
  itemId: string;
  name: string;
  /** The whole arguments JSON string. */
  arguments: string;
  namespace?: string;
  side?: ToolSide;
}

/**
 * An item the proxy carries without reading it (see `OpaqueItem`): a hosted tool's call and the like.
 * `opaque.delta` is one of the upstream's own stream events about it (`response.web_search_call.searching`,
 * `response.code_interpreter_call_code.delta`, …), passed on as it came.
 */
export interface OpaqueStartedEvent {
  type: "opaque.started";
  itemId: string;
  /** The item as the upstream announced it. */
  value: { type: string; [key: string]: unknown };
}

export interface OpaqueDeltaEvent {
  type: "opaque.delta";
  itemId: string;
  /** The upstream's event, without its own numbering (`sequence_number`, `output_index`). */
  event: { type: string; [key: string]: unknown };
}

export interface OpaqueCompletedEvent {
  type: "opaque.completed";
  itemId: string;
  /** The finished item, whole. */
  value: { type: string; [key: string]: unknown };
}

/** A server-side tool began executing. */
export interface ToolStartedEvent {
  type: "tool.started";
  callId: string;
  name: string;
  arguments: string;
  /** From the tool's definition, for progress UIs (Chat's `hermes.tool.progress`). */
  emoji?: string;
  /** A short human description of this call from the tool's `label(args)`, for progress UIs. */
  label?: string;
}

/** A running server-side tool reported how far it got (`context.progress`, an MCP progress notification). */
export interface ToolProgressEvent {
  type: "tool.progress";
  callId: string;
  name: string;
  progress: number;
  total?: number;
  message?: string;
}

/** A server-side tool finished; `isError` when it threw or its arguments were invalid. */
export interface ToolCompletedEvent {
  type: "tool.completed";
  callId: string;
  name: string;
  output: string;
  isError: boolean;
  durationMs: number;
}

/** One upstream call ended (the agent loop may start another). */
export interface StepCompletedEvent {
  type: "step.completed";
  finishReason: FinishReason;
  usage?: Usage;
}

export type RunStatus = "completed" | "incomplete" | "requires_action";

export interface RunCompletedEvent {
  type: "run.completed";
  /** `requires_action` when the run stopped to hand client tool calls back. */
  status: RunStatus;
  finishReason: FinishReason;
  /** Set when `status` is `incomplete`. */
  incompleteReason?: "max_output_tokens" | "content_filter" | "max_iterations";
  /** Summed across every upstream call of the run. */
  usage: Usage;
}

export interface RunFailedEvent {
  type: "run.failed";
  error: HermesErrorInfo;
  usage?: Usage;
}

export type HermesEvent =
  | RunStartedEvent
  | MessageStartedEvent
  | TextDeltaEvent
  | MessageCompletedEvent
  | ReasoningStartedEvent
  | ReasoningDeltaEvent
  | ReasoningCompletedEvent
  | ToolCallStartedEvent
  | ToolCallDeltaEvent
  | ToolCallCompletedEvent
  | OpaqueStartedEvent
  | OpaqueDeltaEvent
  | OpaqueCompletedEvent
  | ToolStartedEvent
  | ToolProgressEvent
  | ToolCompletedEvent
  | StepCompletedEvent
  | RunCompletedEvent
  | RunFailedEvent;

export type HermesEventType = HermesEvent["type"];
export type HermesEventOf<T extends HermesEventType> = Extract<HermesEvent, { type: T }>;
export type TerminalEvent = RunCompletedEvent | RunFailedEvent;

export function isTerminal(event: HermesEvent): event is TerminalEvent {
  return event.type === "run.completed" || event.type === "run.failed";
}

/** Ends every `switch` over events: adding an event type without handling it fails to compile. */
export function assertNever(value: never): never {
  throw new Error(`unhandled event: ${JSON.stringify(value)}`);
}
