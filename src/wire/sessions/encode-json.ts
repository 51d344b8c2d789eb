import type { Item } from "../../protocol/index.ts";
import { outputToItems, type RunResult } from "../../protocol/index.ts";

/**
 * `POST /api/sessions/{id}/chat`'s body: the answer (the text after the last tool round) and the turn's
 * usage. An answer cut short (output token limit, content filter, the iteration bound) says so with
 * `partial: true` and `incomplete_reason`, as the stream's `assistant.completed` does: a cut answer
 * must not pass for a whole one.
 */
export function encodeSessionChatCompletion(sessionId: string, runId: string, result: RunResult) {
  const { usage } = result;
  return {
    object: "hermes.session.chat.completion" as const,
    session_id: sessionId,
    run_id: runId,
    message: { role: "assistant" as const, content: finalAnswer(outputToItems(result.output)) },
    ...(result.status === "incomplete" && { partial: true, incomplete_reason: result.incompleteReason ?? "max_output_tokens" }),
    usage: { input_tokens: usage.inputTokens, output_tokens: usage.outputTokens, total_tokens: usage.totalTokens },
  };
}

/** The assistant text after the last tool call or result: what the user is answered with. */
function finalAnswer(output: readonly Item[]): string {
  let answer = "";
  for (const item of output) {
    if (item.type === "function_call" || item.type === "function_call_output") answer = "";
    else if (item.type === "message" && item.role === "assistant") for (const part of item.content) if (part.type !== "input_image") answer += part.text;
  }
  return answer;
}
