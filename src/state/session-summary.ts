import { type Item, textOf } from "../protocol/index.ts";

/**
 * How many messages and tool calls the Sessions API shows for these items (its `sessionMessages`
 * groups an assistant message with the tool calls after it), without building them: the counts a
 * session record keeps. A test holds the two to the same numbers.
 */
export function countMessages(items: readonly Item[]): { messages: number; toolCalls: number } {
  let messages = 0;
  let toolCalls = 0;
  let reasoningPending = false;
  let assistantOpen = false;
  for (const item of items) {
    if (item.type === "reasoning") reasoningPending = true;
    else if (item.type === "function_call") {
      toolCalls++;
      if (!assistantOpen) {
        messages++;
        assistantOpen = true;
        reasoningPending = false;
      }
    } else {
      messages++;
      const assistant = item.type === "message" && item.role === "assistant";
      if (assistant) reasoningPending = false;
      assistantOpen = assistant;
    }
  }
  return { messages: messages + (reasoningPending ? 1 : 0), toolCalls };
}

/** The first user message's text, cut to `max` characters: what a session list shows. */
export function previewOf(items: readonly Item[], max = 80): string | null {
  for (const item of items) {
    if (item.type !== "message" || item.role !== "user") continue;
    const text = textOf(item.content).replace(/\s+/g, " ").trim();
    if (!text) continue;
    return text.length > max ? `${text.slice(0, max - 1)}…` : text;
  }
  return null;
}
