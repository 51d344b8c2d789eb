import { dataFrame } from "./render.ts";
import type { ResolvedCompletion } from "./render.ts";

/** Chat Completions renderings of a fake answer, shaped like OpenAI's (field order included). */

/** The SSE frames of a streamed answer, `data: [DONE]` last. */
export function chatStreamFrames(completion: ResolvedCompletion, includeUsage: boolean, reasoningField: string): string[] {
  const frames: string[] = [];
  const base = {
    id: `chatcmpl-fake${completion.id}`,
    object: "chat.completion.chunk",
    created: completion.created,
    model: completion.model,
    system_fingerprint: "fp_fake",
  };
  const chunk = (delta: Record<string, unknown>, finishReason: string | null = null) =>
    dataFrame({
      ...base,
      choices: [{ index: 0, delta, logprobs: null, finish_reason: finishReason }],
      // With include_usage, OpenAI sends `usage: null` on every chunk before the usage chunk.
      ...(includeUsage && { usage: null }),
    });

  const hasText = completion.textPieces.length > 0 || completion.toolCalls.length === 0;
  frames.push(chunk({ role: "assistant", content: hasText ? "" : null, refusal: null }));
  for (const piece of completion.reasoningPieces) frames.push(chunk({ [reasoningField]: piece }));
  for (const piece of completion.textPieces) frames.push(chunk({ content: piece }));
  completion.toolCalls.forEach((call, index) => {
    frames.push(chunk({ tool_calls: [{ index, id: call.id, type: "function", function: { name: call.name, arguments: "" } }] }));
    for (const piece of call.pieces) frames.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  frames.push(chunk({}, completion.finishReason));
  if (includeUsage && completion.hasUsage) {
    frames.push(dataFrame({ ...base, choices: [], usage: chatUsage(completion) }));
  }
  frames.push(dataFrame("[DONE]"));
  return frames;
}

/** The `chat.completion` body of a non-stream answer. */
export function chatCompletionBody(completion: ResolvedCompletion, reasoningField: string): Record<string, unknown> {
  const message: Record<string, unknown> = {
    role: "assistant",
    content: completion.text ?? null,
    refusal: null,
    annotations: [],
  };
  if (completion.reasoning !== undefined) message[reasoningField] = completion.reasoning;
  if (completion.toolCalls.length > 0) {
    message.tool_calls = completion.toolCalls.map((call) => ({
      id: call.id,
      type: "function",
      function: { name: call.name, arguments: call.arguments },
    }));
  }
  return {
    id: `chatcmpl-fake${completion.id}`,
    object: "chat.completion",
    created: completion.created,
    model: completion.model,
    choices: [{ index: 0, message, logprobs: null, finish_reason: completion.finishReason }],
    ...(completion.hasUsage && { usage: chatUsage(completion) }),
    system_fingerprint: "fp_fake",
  };
}

function chatUsage({ usage }: ResolvedCompletion): Record<string, unknown> {
  return {
    prompt_tokens: usage.inputTokens,
    completion_tokens: usage.outputTokens,
    total_tokens: usage.totalTokens,
    prompt_tokens_details: { cached_tokens: usage.cachedTokens ?? 0, audio_tokens: 0 },
    completion_tokens_details: {
      reasoning_tokens: usage.reasoningTokens ?? 0,
      audio_tokens: 0,
      accepted_prediction_tokens: 0,
      rejected_prediction_tokens: 0,
    },
  };
}

/** The `/v1/models` list. */
export function modelList(models: readonly string[]): Record<string, unknown> {
  return {
    object: "list",
    data: models.map((id) => ({ id, object: "model", created: 1_700_000_000, owned_by: "fake-upstream" })),
  };
}
