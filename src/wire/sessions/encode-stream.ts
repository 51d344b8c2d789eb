import { answerOf, assertNever, type HermesEvent, outputToItems, ReasoningJoiner, type RunResult } from "../../protocol/index.ts";
import { eventFrame } from "../sse.ts";
import { toolProgressFields } from "../tool-progress.ts";
import type { StreamEncoder } from "../types.ts";
import { sessionMessages } from "./messages.ts";
import type { ChatMessage } from "./schema.ts";

export interface SessionChatStreamOptions {
  sessionId: string;
  runId: string;
  /** The assistant message's id (`msg_` + 32 hex): every event of the turn refers to it. */
  messageId: string;
  /** The user's message, echoed by `run.started`. */
  userContent: ChatMessage;
  /** Seconds since the epoch, with milliseconds: each payload's `ts`. */
  now: () => number;
  /** The run's one fold, kept by the caller, which adds each event before it is encoded: the end reports its output. */
  run: Readonly<RunResult>;
}

/**
 * One session chat turn (`POST /api/sessions/{id}/chat/stream`) as the original server streams it:
 * named SSE events (`event:` lines), each payload carrying `session_id`, `run_id`, `seq` (1, 2, …) and
 * `ts`. `run.started` and `message.started`, then `assistant.delta`, `tool.progress` (reasoning, as
 * tool `_thinking`), `tool.started` / `tool.completed` / `tool.failed`, and at the end
 * `assistant.completed` + `run.completed` (this turn's messages and usage) or `error`, then `done`.
 * Pure: the clock and the ids are given.
 */
export class SessionChatStreamEncoder implements StreamEncoder {
  readonly #options: SessionChatStreamOptions;
  /** Arguments of the tools running, by call id, for their end events. */
  readonly #tools = new Map<string, { preview: string; args: unknown }>();
  readonly #reasoning = new ReasoningJoiner();
  #seq = 0;
  #ended = false;

  constructor(options: SessionChatStreamOptions) {
    this.#options = options;
  }

  encode(event: HermesEvent): string {
    const messageId = this.#options.messageId;
    switch (event.type) {
      case "run.started":
        return (
          this.#frame("run.started", { user_message: { role: "user", content: this.#options.userContent } }) +
          this.#frame("message.started", { message: { id: messageId, role: "assistant" } })
        );
      case "text.delta":
        return this.#frame("assistant.delta", { message_id: messageId, delta: event.delta });
      case "reasoning.delta":
        return this.#frame("tool.progress", { message_id: messageId, tool_name: "_thinking", delta: this.#reasoning.delta(event) });
      case "tool.started": {
        const tool = { preview: event.label ?? preview(event.arguments), args: parseArguments(event.arguments) };
        this.#tools.set(event.callId, tool);
        return this.#frame("tool.started", { message_id: messageId, tool_name: event.name, tool_call_id: event.callId, ...tool });
      }
      case "tool.progress":
        // The original server's `tool.progress` carries reasoning as `delta`; a tool's own report says its message there.
        return this.#frame("tool.progress", {
          message_id: messageId,
          tool_name: event.name,
          tool_call_id: event.callId,
          delta: event.message ?? "",
          ...toolProgressFields(event),
        });
      case "tool.completed": {
        const tool = this.#tools.get(event.callId) ?? { preview: "", args: {} };
        this.#tools.delete(event.callId);
        return this.#frame(event.isError ? "tool.failed" : "tool.completed", {
          message_id: messageId,
          tool_name: event.name,
          tool_call_id: event.callId,
          ...tool,
          duration: Math.round(event.durationMs) / 1000,
          ...(event.isError && { error: event.output }),
        });
      }
      case "run.completed": {
        this.#ended = true;
        const { sessionId } = this.#options;
        const { usage } = event;
        return (
          this.#frame("assistant.completed", {
            session_id: sessionId,
            message_id: messageId,
            content: answerOf(this.#options.run.output),
            completed: true,
            partial: event.status === "incomplete",
            ...(event.status === "incomplete" && { incomplete_reason: event.incompleteReason ?? "max_output_tokens" }),
            interrupted: false,
          }) +
          this.#frame("run.completed", {
            session_id: sessionId,
            message_id: messageId,
            completed: true,
            messages: sessionMessages(sessionId, outputToItems(this.#options.run.output)),
            usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, total_tokens: usage.totalTokens },
          }) +
          this.#frame("done", {})
        );
      }
      case "run.failed":
        return this.abort(event.error);
      case "reasoning.started":
      case "reasoning.completed":
      case "message.started":
      case "message.completed":
      case "tool.call.started":
      case "tool.call.delta":
      case "tool.call.completed":
      case "step.completed":
      case "opaque.started":
      case "opaque.delta":
      case "opaque.completed":
        return "";
      default:
        return assertNever(event);
    }
  }

  /** The `error` and `done` frames; nothing once the stream has ended (a second `done` would confuse a client). */
  abort(error: { message: string; code: string | null }): string {
    if (this.#ended) return "";
    this.#ended = true;
    return this.#frame("error", { message: error.message, code: error.code }) + this.#frame("done", {});
  }

  #frame(name: string, fields: Record<string, unknown>): string {
    const { sessionId, runId, now } = this.#options;
    const payload = { ...fields, session_id: sessionId, run_id: runId, seq: ++this.#seq, ts: now() };
    return eventFrame(name, JSON.stringify(payload));
  }
}

function preview(args: string): string {
  if (args === "{}" || args.trim() === "") return "";
  return args.length > 200 ? `${args.slice(0, 197)}...` : args;
}

/** The arguments as an object when they are JSON (they usually are), else the raw string. */
function parseArguments(args: string): unknown {
  try {
    return JSON.parse(args);
  } catch {
    return args;
  }
}
