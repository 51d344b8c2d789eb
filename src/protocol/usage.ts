import { z } from "zod";

export const usageSchema = z.object({
  inputTokens: z.number().int().nonnegative(),
  outputTokens: z.number().int().nonnegative(),
  totalTokens: z.number().int().nonnegative(),
  /** Part of `outputTokens` the model spent reasoning, where the upstream reports it. */
  reasoningTokens: z.number().int().nonnegative().optional(),
  /** Part of `inputTokens` served from the upstream's prompt cache, where reported. */
  cachedTokens: z.number().int().nonnegative().optional(),
});

export type Usage = z.infer<typeof usageSchema>;

export const emptyUsage = (): Usage => ({ inputTokens: 0, outputTokens: 0, totalTokens: 0 });

/** Sums two steps' usage (the agent loop calls the upstream once per step). */
export function addUsage(total: Usage, step: Usage): Usage {
  const sum: Usage = {
    inputTokens: total.inputTokens + step.inputTokens,
    outputTokens: total.outputTokens + step.outputTokens,
    totalTokens: total.totalTokens + step.totalTokens,
  };
  if (total.reasoningTokens !== undefined || step.reasoningTokens !== undefined)
    sum.reasoningTokens = (total.reasoningTokens ?? 0) + (step.reasoningTokens ?? 0);
  if (total.cachedTokens !== undefined || step.cachedTokens !== undefined) sum.cachedTokens = (total.cachedTokens ?? 0) + (step.cachedTokens ?? 0);
  return sum;
}
