import type { HermesErrorInfo, Usage } from "../../protocol/index.ts";
import type { RunResult } from "../../protocol/index.ts";
import type { ResponseSettings } from "./decode.ts";
import { outputToWire, type WireItem } from "./items.ts";

export type ResponseStatus = "queued" | "in_progress" | "completed" | "incomplete" | "failed" | "cancelled";

/** The fixed facts of one response: what the route knows before the run starts. */
export interface ResponseMeta {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  /** The model name reported to the client. */
  model: string;
  settings: ResponseSettings;
}

export interface ResponseObject extends Omit<ResponseSettings, "echoed"> {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  error: { code: string; message: string } | null;
  incomplete_details: { reason: string } | null;
  model: string;
  output: WireItem[];
  usage: ReturnType<typeof responsesUsage> | null;
}

/** A snapshot before any output: `response.created`, background replies. */
export function pendingResponse(meta: ResponseMeta, status: "queued" | "in_progress"): ResponseObject {
  return build(meta, status, [], null, null, null);
}

/**
 * A run (finished or cut short) as a Response object. Tool calls handed back to the client end the
 * response as `completed` with `function_call` items, as the API does; a cut-short run is
 * `incomplete` with its reason; a failure is `failed` with `error`.
 */
export function encodeResponse(result: RunResult, meta: ResponseMeta, cut?: { status: "incomplete" | "cancelled"; reason: string }): ResponseObject {
  const output = outputToWire(result.output);
  if (cut && (result.status === "in_progress" || result.status === "failed"))
    return build(meta, cut.status, output, null, cut.status === "incomplete" ? { reason: cut.reason } : null, result.usage);
  switch (result.status) {
    case "completed":
    case "requires_action":
      return build(meta, "completed", output, null, null, result.usage);
    case "incomplete":
      return build(meta, "incomplete", output, null, { reason: result.incompleteReason ?? "max_output_tokens" }, result.usage);
    case "failed":
      return build(meta, "failed", output, toResponseError(result.error), null, result.usage);
    case "in_progress":
      return build(meta, "in_progress", output, null, null, null);
  }
}

/** Assembles a Response object; the settings echo follows the spec's field set. */
export function build(
  meta: ResponseMeta,
  status: ResponseStatus,
  output: WireItem[],
  error: ResponseObject["error"],
  incomplete: ResponseObject["incomplete_details"],
  usage: Usage | null,
): ResponseObject {
  const { echoed, ...settings } = meta.settings;
  return {
    id: meta.id,
    object: "response",
    created_at: meta.createdAt,
    status,
    error,
    incomplete_details: incomplete,
    model: meta.model,
    output,
    usage: usage && responsesUsage(usage),
    ...echoed,
    ...settings,
  } as ResponseObject;
}

function toResponseError(error: HermesErrorInfo | null): ResponseObject["error"] {
  return error ? { code: error.code ?? error.type, message: error.message } : { code: "server_error", message: "The run failed" };
}

/** Protocol usage in the Responses shape. */
export function responsesUsage(usage: Usage) {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
}
