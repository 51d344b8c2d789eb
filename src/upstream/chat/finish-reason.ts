import type { FinishReason } from "../../protocol/index.ts";
import { upstreamError } from "../http-errors.ts";

/**
 * An upstream `finish_reason` to the protocol's. OpenAI-compatible servers add their own names;
 * unknown ones read as `stop`. Whether a step ended for its tool calls is decided by the calls
 * themselves: some vLLM and Ollama models report `stop` after calls, and a `tool_calls` without any
 * call would send the agent loop looking for calls that do not exist. OpenRouter's `error` is a
 * generation that failed midway: never reported as a finished answer.
 */
export function mapFinishReason(reason: string, hasToolCalls: boolean): FinishReason {
  switch (reason) {
    case "length":
    case "max_tokens":
    case "model_length":
      return "length";
    case "content_filter":
    case "safety":
      return "content_filter";
    case "error":
      throw upstreamError("The upstream reported an error while generating");
    default:
      return hasToolCalls ? "tool_calls" : "stop";
  }
}
