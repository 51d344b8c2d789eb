import type { FinishReason, RunCompletedEvent, ToolSide } from "./events.ts";
import type { HermesErrorInfo } from "./errors.ts";
import type { Item } from "./items.ts";
import type { Usage } from "./usage.ts";

/** A finished run gathered from its events: what a non-stream body or a stored record is built from. */
export interface RunResult {
  runId: string;
  model: string;
  createdAt: number;
  /** Everything the run produced, in order: reasoning, messages, tool calls and their outputs. */
  output: OutputItem[];
  status: RunCompletedEvent["status"] | "failed" | "in_progress";
  finishReason: FinishReason | null;
  incompleteReason: RunCompletedEvent["incompleteReason"];
  usage: Usage;
  error: HermesErrorInfo | null;
}

export type OutputItem =
  | (Extract<Item, { type: "message" | "reasoning" | "function_call_output" | "opaque" }> & { id: string })
  | (Extract<Item, { type: "function_call" }> & { id: string; side: ToolSide });

/** The id of the output item that carries a server tool's result. */
export function toolOutputId(callId: string): string {
  return `fco_${callId}`;
}

/** Output items as history items, ready to be sent upstream again on the next turn. */
export function outputToItems(output: readonly OutputItem[]): Item[] {
  return output.map((item): Item => {
    if (item.type === "function_call") {
      const { side: _side, ...call } = item;
      return call;
    }
    return item;
  });
}

/**
 * The run's answer as the original server reports it (`output` of the Runs API, the session stream's
 * `content`): the assistant text since the last server tool round.
 */
export function answerOf(output: readonly OutputItem[]): string {
  let answer = "";
  for (const item of output) {
    if (item.type === "function_call_output") answer = "";
    else if (item.type === "message") for (const part of item.content) if (part.type !== "input_image") answer += part.text;
  }
  return answer;
}
