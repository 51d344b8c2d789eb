import type { Usage } from "../../protocol/index.ts";
import type { ResponsesUsage } from "./schema.ts";

/** Responses API usage to the protocol's; detail counts are kept only when the upstream reports them. */
export function mapResponsesUsage(usage: ResponsesUsage): Usage {
  const inputTokens = count(usage.input_tokens) ?? 0;
  const outputTokens = count(usage.output_tokens) ?? 0;
  const mapped: Usage = { inputTokens, outputTokens, totalTokens: count(usage.total_tokens) ?? inputTokens + outputTokens };
  const reasoningTokens = count(usage.output_tokens_details?.reasoning_tokens);
  if (reasoningTokens !== undefined) mapped.reasoningTokens = reasoningTokens;
  const cachedTokens = count(usage.input_tokens_details?.cached_tokens);
  if (cachedTokens !== undefined) mapped.cachedTokens = cachedTokens;
  return mapped;
}

/** Only non-negative integers fit the protocol's Usage; anything else counts as unreported. */
function count(value: number | null | undefined): number | undefined {
  return typeof value === "number" && Number.isInteger(value) && value >= 0 ? value : undefined;
}
