import { type Item, textOf } from "../protocol/index.ts";

/** A rough token count (4 characters a token): enough to decide what to drop, no tokenizer needed. */
export function estimateTokens(item: Item): number {
  switch (item.type) {
    case "message":
      return Math.ceil(textOf(item.content).length / 4) + 4 + item.content.filter((part) => part.type === "input_image").length * 800;
    case "function_call":
      return Math.ceil((item.name.length + item.arguments.length) / 4) + 4;
    case "function_call_output":
      return Math.ceil(item.output.length / 4) + 4;
    case "reasoning":
      return Math.ceil((item.text.length + (item.summary?.join("").length ?? 0) + (item.encryptedContent?.length ?? 0)) / 4);
    case "opaque":
      return Math.ceil(JSON.stringify(item.value).length / 4);
  }
}

/**
 * `truncation: "auto"`: drops the oldest turns until the history fits `budget` tokens. System and
 * developer messages stay; what remains starts at a user message, so no tool output is left without
 * the call it answers. The newest turn is always kept, even when it alone is over budget.
 */
export function truncateHistory(items: readonly Item[], budget: number): Item[] {
  let total = 0;
  for (const item of items) total += estimateTokens(item);
  if (total <= budget) return [...items];
  const isInstruction = (item: Item) => item.type === "message" && (item.role === "system" || item.role === "developer");
  const turnStarts: number[] = [];
  items.forEach((item, index) => {
    if (item.type === "message" && item.role === "user") turnStarts.push(index);
  });
  let start = 0;
  for (const turnStart of turnStarts) {
    if (total <= budget) break;
    for (let i = start; i < turnStart; i++) if (!isInstruction(items[i]!)) total -= estimateTokens(items[i]!);
    start = turnStart;
  }
  return [...items.slice(0, start).filter(isInstruction), ...items.slice(start)];
}
