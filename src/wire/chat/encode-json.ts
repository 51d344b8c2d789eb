import { HermesError, readableReasoning, textOf } from "../../protocol/index.ts";
import type { RunResult } from "../../protocol/index.ts";
import { chatFinishReason } from "./finish-reason.ts";
import { chatResultHeaders } from "./result-headers.ts";
import { chatUsage } from "./usage.ts";

/**
 * A finished run as one `chat.completion` body. A failed run is thrown as its error, with the
 * original server's `X-Hermes-*` result headers: a truncated answer is never reported as a success.
 */
export function encodeChatCompletion(result: RunResult) {
  if (result.status === "failed" || result.status === "in_progress") {
    const error = result.error ?? { message: "The run ended without an answer", type: "server_error", code: "run_incomplete", param: null, status: 502 };
    throw new HermesError(error.message, { ...error, headers: { ...error.headers, ...chatResultHeaders(result) } });
  }
  let content: string | null = null;
  let reasoning: string | undefined;
  const toolCalls = [];
  for (const item of result.output) {
    if (item.type === "message") {
      // Messages from later steps of the run join the one Chat message, kept apart as the stream keeps them.
      const text = textOf(item.content);
      if (text) content = content === null ? text : `${content}\n\n${text}`;
    } else if (item.type === "reasoning") reasoning = (reasoning ?? "") + readableReasoning(item);
    else if (item.type === "function_call" && item.side === "client")
      toolCalls.push({ id: item.call_id, type: "function" as const, function: { name: item.name, arguments: item.arguments } });
  }
  return {
    id: result.runId,
    object: "chat.completion" as const,
    created: result.createdAt,
    model: result.model,
    choices: [
      {
        index: 0,
        message: {
          role: "assistant" as const,
          content,
          refusal: null,
          ...(toolCalls.length > 0 && { tool_calls: toolCalls }),
          ...(reasoning !== undefined && { reasoning_content: reasoning }),
        },
        logprobs: null,
        finish_reason: chatFinishReason({
          status: result.status,
          finishReason: result.finishReason ?? "stop",
          incompleteReason: result.incompleteReason,
        }),
      },
    ],
    usage: chatUsage(result.usage),
  };
}
