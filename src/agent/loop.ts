import {
  addUsage,
  emptyUsage,
  type FinishReason,
  HermesError,
  type HermesEvent,
  type NewId,
  randomId,
  type RunCompletedEvent,
  type RunInput,
  toErrorInfo,
  type Usage,
} from "../protocol/index.ts";
import type { Upstream } from "../upstream/types.ts";

export interface RunOptions {
  upstream: Upstream;
  runId: string;
  /** The model name reported to the client. */
  model: string;
  /** Unix seconds. */
  createdAt: number;
  /** Client gone, run cancelled or server shutting down: stops the upstream call at once. */
  signal: AbortSignal;
  maxIterations: number;
  newId?: NewId;
}

/**
 * The agent loop: calls the upstream, and ends the run when the model answers or hands tool calls
 * back to the client. It speaks only protocol events and knows no wire format. Every run ends in
 * exactly one terminal event, `run.completed` or `run.failed`; nothing is thrown past it.
 */
export async function* runAgent(input: RunInput, options: RunOptions): AsyncGenerator<HermesEvent, void, undefined> {
  yield { type: "run.started", runId: options.runId, model: options.model, createdAt: options.createdAt };
  let usage = emptyUsage();
  try {
    for (let step = 1; step <= options.maxIterations; step++) {
      let finishReason: FinishReason = "stop";
      let toolCalls = 0;
      for await (const event of options.upstream.stream(input, { signal: options.signal, newId: options.newId ?? randomId })) {
        if (event.type === "step.completed") {
          finishReason = event.finishReason;
          if (event.usage) usage = addUsage(usage, event.usage);
        } else if (event.type === "tool.call.started" || event.type === "tool.call.completed") {
          // No server-side tools are registered yet, so every call belongs to the client.
          event.side = "client";
          if (event.type === "tool.call.completed") toolCalls++;
        }
        yield event;
      }
      if (options.signal.aborted) throw abortError(options.signal);
      yield completion(finishReason, toolCalls > 0, usage);
      return;
    }
    yield { type: "run.completed", status: "incomplete", finishReason: "length", incompleteReason: "max_iterations", usage };
  } catch (error) {
    const failure = options.signal.aborted && !HermesError.is(error) ? abortError(options.signal) : error;
    yield { type: "run.failed", error: toErrorInfo(failure), usage };
  }
}

function completion(finishReason: FinishReason, handsToolsBack: boolean, usage: Usage): RunCompletedEvent {
  if (handsToolsBack) return { type: "run.completed", status: "requires_action", finishReason: "tool_calls", usage };
  if (finishReason === "length")
    return { type: "run.completed", status: "incomplete", finishReason, incompleteReason: "max_output_tokens", usage };
  if (finishReason === "content_filter")
    return { type: "run.completed", status: "incomplete", finishReason, incompleteReason: "content_filter", usage };
  return { type: "run.completed", status: "completed", finishReason, usage };
}

function abortError(signal: AbortSignal): HermesError {
  if (HermesError.is(signal.reason)) return signal.reason;
  return new HermesError("The run was cancelled", { status: 499, type: "invalid_request_error", code: "cancelled" });
}
