import type { FinishReason } from "../../protocol/index.ts";
import { upstreamError } from "../http-errors.ts";
import type { ResponsesResponse } from "./schema.ts";

/**
 * How a finished response ended, as the protocol's finish reason. The terminal event's type and the
 * response's `status` are both read: some servers send `response.completed` with an `incomplete` or
 * `failed` status. An incomplete response is `length` unless it was cut by the content filter (OpenAI
 * says `max_output_tokens`; older docs and some servers say `max_tokens`). Whether a step ended for its
 * tool calls is decided by the calls themselves, as for chat upstreams. A failed or cancelled response
 * throws: it is never reported as an answer.
 */
export function mapTerminal(eventType: string, response: ResponsesResponse, hasToolCalls: boolean): FinishReason {
  const status = response.status;
  if (eventType === "response.failed" || status === "failed" || status === "cancelled") throw failedError(response);
  if (eventType === "response.incomplete" || status === "incomplete") {
    return response.incomplete_details?.reason === "content_filter" ? "content_filter" : "length";
  }
  return hasToolCalls ? "tool_calls" : "stop";
}

/** A 502 carrying the upstream's own message: it is the upstream's text about its own failure. */
export function failedError(response: ResponsesResponse): Error {
  const message = response.error?.message;
  if (typeof message === "string" && message !== "") return upstreamError(`The upstream failed: ${message}`);
  return upstreamError(response.status === "cancelled" ? "The upstream cancelled the response" : "The upstream reported the response as failed");
}
