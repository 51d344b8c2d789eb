import { type HermesEvent, type RunInput, textOf } from "../../protocol/index.ts";
import { randomId } from "../../utils/index.ts";
import type { Upstream, UpstreamCallOptions } from "../types.ts";

/**
 * The embedded upstream used when none is configured, so that `npx hermes-proxy` answers at once:
 * it streams the last user message back word by word. Tokens are counted as words.
 */
export function createEchoUpstream(): Upstream {
  return {
    kind: "echo",
    async *stream(input: RunInput, options: UpstreamCallOptions): AsyncGenerator<HermesEvent[]> {
      if (options.signal.aborted) return;
      const newId = options.newId ?? randomId;
      const text = lastUserText(input) || "(echo upstream: send a user message and it comes back)";
      const itemId = newId("msg_");
      const pieces = text.match(/\s*\S+/g) ?? [text];
      // One batch: there is no network read to wait for between the words.
      const events: HermesEvent[] = [{ type: "message.started", itemId }];
      for (const piece of pieces) events.push({ type: "text.delta", itemId, delta: piece });
      events.push({ type: "message.completed", itemId, text });
      const inputTokens = input.items.reduce((sum, item) => sum + (item.type === "message" ? countWords(textOf(item.content)) : 0), 0);
      const outputTokens = pieces.length;
      events.push({
        type: "step.completed",
        finishReason: "stop",
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      });
      yield events;
    },
    async listModels() {
      return [];
    },
    async close() {},
  };
}

function lastUserText(input: RunInput): string {
  for (let i = input.items.length - 1; i >= 0; i--) {
    const item = input.items[i];
    if (item?.type === "message" && item.role === "user") return textOf(item.content);
  }
  return "";
}

function countWords(text: string): number {
  return text.match(/\S+/g)?.length ?? 0;
}
