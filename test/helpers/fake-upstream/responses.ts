import { eventFrame } from "./render.ts";
import type { ResolvedCompletion } from "./render.ts";

/** Responses API renderings of a fake answer: the stream's event sequence and the response object. */

type Item = Record<string, unknown>;

/** The SSE frames of a streamed response, `sequence_number` on each; the API sends no `[DONE]`. */
export function responsesStreamFrames(completion: ResolvedCompletion, request: Record<string, unknown>, reasoningStyle: "summary" | "text"): string[] {
  const frames: string[] = [];
  let sequence = 0;
  const emit = (type: string, fields: Record<string, unknown>) => frames.push(eventFrame({ type, ...fields, sequence_number: sequence++ }));

  emit("response.created", { response: responseObject(completion, request, reasoningStyle, false) });
  emit("response.in_progress", { response: responseObject(completion, request, reasoningStyle, false) });
  outputItems(completion, reasoningStyle).forEach((item, outputIndex) => {
    const itemId = item.id as string;
    const at = { item_id: itemId, output_index: outputIndex };
    if (item.type === "reasoning") {
      emit("response.output_item.added", { output_index: outputIndex, item: { ...item, summary: [], ...(reasoningStyle === "text" && { content: [] }) } });
      if (reasoningStyle === "summary") {
        const part = { type: "summary_text", text: "" };
        emit("response.reasoning_summary_part.added", { ...at, summary_index: 0, part });
        for (const delta of completion.reasoningPieces) emit("response.reasoning_summary_text.delta", { ...at, summary_index: 0, delta });
        emit("response.reasoning_summary_text.done", { ...at, summary_index: 0, text: completion.reasoning });
        emit("response.reasoning_summary_part.done", { ...at, summary_index: 0, part: { ...part, text: completion.reasoning } });
      } else {
        const part = { type: "reasoning_text", text: "" };
        emit("response.content_part.added", { ...at, content_index: 0, part });
        for (const delta of completion.reasoningPieces) emit("response.reasoning_text.delta", { ...at, content_index: 0, delta });
        emit("response.reasoning_text.done", { ...at, content_index: 0, text: completion.reasoning });
        emit("response.content_part.done", { ...at, content_index: 0, part: { ...part, text: completion.reasoning } });
      }
    } else if (item.type === "message") {
      emit("response.output_item.added", { output_index: outputIndex, item: { ...item, status: "in_progress", content: [] } });
      const part = { type: "output_text", text: "", annotations: [], logprobs: [] };
      emit("response.content_part.added", { ...at, content_index: 0, part });
      for (const delta of completion.textPieces) emit("response.output_text.delta", { ...at, content_index: 0, delta, logprobs: [] });
      emit("response.output_text.done", { ...at, content_index: 0, text: completion.text, logprobs: [] });
      emit("response.content_part.done", { ...at, content_index: 0, part: { ...part, text: completion.text } });
    } else if (item.type !== "function_call") {
      emit("response.output_item.added", { output_index: outputIndex, item: { ...item, status: "in_progress" } });
    } else {
      const call = completion.toolCalls.find((candidate) => candidate.id === item.call_id)!;
      emit("response.output_item.added", { output_index: outputIndex, item: { ...item, status: "in_progress", arguments: "" } });
      for (const delta of call.pieces) emit("response.function_call_arguments.delta", { ...at, delta });
      emit("response.function_call_arguments.done", { ...at, name: call.name, arguments: call.arguments });
    }
    emit("response.output_item.done", { output_index: outputIndex, item });
  });
  const final = responseObject(completion, request, reasoningStyle, true);
  emit(final.status === "incomplete" ? "response.incomplete" : "response.completed", { response: final });
  return frames;
}

/** The response object: in progress (empty output, no usage) or final. */
export function responseObject(
  completion: ResolvedCompletion,
  request: Record<string, unknown>,
  reasoningStyle: "summary" | "text",
  final: boolean,
): Record<string, unknown> {
  const incompleteReason =
    completion.finishReason === "length" ? "max_output_tokens" : completion.finishReason === "content_filter" ? "content_filter" : undefined;
  const status = !final ? "in_progress" : incompleteReason ? "incomplete" : "completed";
  return {
    id: `resp_fake${completion.id}`,
    object: "response",
    created_at: completion.created,
    status,
    error: null,
    incomplete_details: final && incompleteReason ? { reason: incompleteReason } : null,
    instructions: request.instructions ?? null,
    max_output_tokens: request.max_output_tokens ?? null,
    model: completion.model,
    output: final ? outputItems(completion, reasoningStyle) : [],
    parallel_tool_calls: request.parallel_tool_calls ?? true,
    previous_response_id: request.previous_response_id ?? null,
    reasoning: { effort: null, summary: null },
    store: request.store ?? true,
    temperature: request.temperature ?? 1,
    text: request.text ?? { format: { type: "text" } },
    tool_choice: request.tool_choice ?? "auto",
    tools: request.tools ?? [],
    top_p: request.top_p ?? 1,
    truncation: "disabled",
    usage: final && completion.hasUsage ? responsesUsage(completion) : null,
    user: null,
    metadata: request.metadata ?? {},
  };
}

function outputItems(completion: ResolvedCompletion, reasoningStyle: "summary" | "text"): Item[] {
  const items: Item[] = [];
  if (completion.reasoning !== undefined) {
    items.push(
      reasoningStyle === "summary"
        ? { id: `rs_fake${completion.id}`, type: "reasoning", summary: [{ type: "summary_text", text: completion.reasoning }] }
        : { id: `rs_fake${completion.id}`, type: "reasoning", summary: [], content: [{ type: "reasoning_text", text: completion.reasoning }] },
    );
  }
  items.push(...completion.hostedItems);
  if (completion.text !== undefined) {
    items.push({
      id: `msg_fake${completion.id}`,
      type: "message",
      status: "completed",
      role: "assistant",
      content: [{ type: "output_text", text: completion.text, annotations: [], logprobs: [] }],
    });
  }
  completion.toolCalls.forEach((call, index) => {
    items.push({
      id: `fc_fake${completion.id}_${index}`,
      type: "function_call",
      status: "completed",
      call_id: call.id,
      ...(call.namespace !== undefined && { namespace: call.namespace }),
      name: call.name,
      arguments: call.arguments,
    });
  });
  return items;
}

function responsesUsage({ usage }: ResolvedCompletion): Record<string, unknown> {
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: { cached_tokens: usage.cachedTokens ?? 0 },
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.totalTokens,
  };
}

/**
 * What `POST /v1/responses/input_tokens` and `/v1/responses/compact` answer, in the spec's shapes: a
 * count of the request's input (one token per 4 characters of its JSON, at least 1), and a compaction
 * that keeps the input's user messages and adds one opaque `compaction` item.
 */
export function responsesUtilityBody(path: string, body: Record<string, unknown>): Record<string, unknown> {
  const input = body.input;
  const tokens = Math.max(1, Math.ceil(JSON.stringify(input ?? "").length / 4));
  if (path.endsWith("/input_tokens")) return { object: "response.input_tokens", input_tokens: tokens };
  const items = typeof input === "string" ? [{ role: "user", content: input }] : Array.isArray(input) ? input : [];
  const users = items
    .filter((item: { role?: string }) => item.role === "user")
    .map((item: { content?: unknown }) => ({ type: "message", role: "user", content: item.content }));
  return {
    id: "resp_compacted_fake",
    object: "response.compaction",
    created_at: 1_700_000_000,
    output: [...users, { type: "compaction", id: "cmp_fake", encrypted_content: `fake:${items.length}` }],
    usage: {
      input_tokens: tokens,
      input_tokens_details: { cached_tokens: 0 },
      output_tokens: 5,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: tokens + 5,
    },
  };
}
