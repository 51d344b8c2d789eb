import { answerOf, assertNever, type HermesEvent, readableReasoning, type RunResult, type Usage } from "../../protocol/index.ts";
import { toolProgressFields } from "../tool-progress.ts";

/**
 * Run events → the original server's Runs API payloads (`GET /v1/runs/{id}/events`). Pure and
 * stateful per run: it keeps the answer text for `run.completed`; the caller gives the timestamp.
 * Every payload has `event`, `run_id` and `timestamp` (float seconds).
 */

export interface RunsPayload {
  event: string;
  run_id: string;
  timestamp: number;
  [field: string]: unknown;
}

/** Usage as the Runs API reports it. */
export function runsUsage(usage: Usage) {
  return { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, total_tokens: usage.totalTokens };
}

export class RunsEventEncoder {
  readonly #runId: string;
  /** The run's one fold, kept by the caller: `run.completed` reports its answer. */
  readonly #run: Readonly<RunResult>;
  #clientCalls: { id: string; name: string; arguments: string }[] = [];

  /** `run` is the run's fold, with each event added before it is encoded. */
  constructor(runId: string, run: Readonly<RunResult>) {
    this.#runId = runId;
    this.#run = run;
  }

  /** The payload for one event, or undefined when the Runs API has no event for it. */
  encode(event: HermesEvent, timestamp: number): RunsPayload | undefined {
    switch (event.type) {
      case "text.delta":
        return this.#payload("message.delta", timestamp, { delta: event.delta });
      case "reasoning.completed": {
        const text = readableReasoning(event);
        return text ? this.#payload("reasoning.available", timestamp, { text }) : undefined;
      }
      case "tool.call.completed":
        if (event.side === "client") this.#clientCalls.push({ id: event.callId, name: event.name, arguments: event.arguments });
        return undefined;
      case "tool.started":
        return this.#payload("tool.started", timestamp, {
          tool: event.name,
          preview: event.label ?? preview(event.arguments),
          tool_call_id: event.callId,
          ...(event.emoji !== undefined && { emoji: event.emoji }),
        });
      case "tool.progress":
        return this.#payload("tool.progress", timestamp, { tool: event.name, tool_call_id: event.callId, ...toolProgressFields(event) });
      case "tool.completed":
        return this.#payload("tool.completed", timestamp, {
          tool: event.name,
          duration: Math.round(event.durationMs) / 1000,
          error: event.isError,
          tool_call_id: event.callId,
        });
      case "run.completed":
        return this.#payload("run.completed", timestamp, {
          output: answerOf(this.#run.output),
          usage: runsUsage(event.usage),
          ...(event.status !== "completed" && { status: event.status }),
          ...(event.incompleteReason !== undefined && { incomplete_reason: event.incompleteReason }),
          ...(this.#clientCalls.length > 0 && { tool_calls: this.#clientCalls }),
        });
      case "run.failed":
        // A stop aborts the run with code `cancelled`: the original server reports that as its own event.
        if (event.error.code === "cancelled") return this.#payload("run.cancelled", timestamp, {});
        return this.#payload("run.failed", timestamp, { error: event.error.message, code: event.error.code });
      case "run.started":
      case "message.started":
      case "message.completed":
      case "reasoning.started":
      case "reasoning.delta":
      case "tool.call.started":
      case "tool.call.delta":
      case "step.completed":
      case "opaque.started":
      case "opaque.delta":
      case "opaque.completed":
        return undefined;
      default:
        return assertNever(event);
    }
  }

  #payload(name: string, timestamp: number, fields: Record<string, unknown>): RunsPayload {
    return { event: name, run_id: this.#runId, timestamp, ...fields };
  }
}

/** A tool call waiting for a person, as `approval.request`. */
export function approvalRequestPayload(
  runId: string,
  timestamp: number,
  request: { callId: string; name: string; arguments: string; label?: string | undefined },
  choices: readonly string[],
): RunsPayload {
  const description = request.label ?? `Run the tool ${request.name}`;
  return {
    event: "approval.request",
    run_id: runId,
    timestamp,
    request_id: request.callId,
    tool: request.name,
    arguments: request.arguments,
    // The original server's clients show `command`; here it is the call in one line.
    command: `${request.name} ${preview(request.arguments)}`.trim(),
    description,
    choices: [...choices],
  };
}

/** A person's answer, as `approval.responded`. */
export function approvalRespondedPayload(runId: string, timestamp: number, choice: string, requestIds: readonly string[]): RunsPayload {
  return { event: "approval.responded", run_id: runId, timestamp, choice, resolved: requestIds.length, request_ids: [...requestIds] };
}

/** A run stopped before it started, which the agent loop never saw. */
export function cancelledPayload(runId: string, timestamp: number): RunsPayload {
  return { event: "run.cancelled", run_id: runId, timestamp };
}

function preview(args: string): string {
  if (args === "{}" || args.trim() === "") return "";
  return args.length > 200 ? `${args.slice(0, 197)}...` : args;
}
