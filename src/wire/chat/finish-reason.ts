import type { RunCompletedEvent } from "../../protocol/index.ts";

export type ChatFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

/** A run's end as Chat Completions names it; a run stopped by the iteration limit was cut short like `length`. */
export function chatFinishReason(event: Pick<RunCompletedEvent, "status" | "finishReason" | "incompleteReason">): ChatFinishReason {
  if (event.status === "requires_action") return "tool_calls";
  if (event.incompleteReason === "max_iterations") return "length";
  return event.finishReason;
}
