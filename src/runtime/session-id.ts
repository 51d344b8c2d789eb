import { createHash } from "node:crypto";
import { type Item, textOf } from "../protocol/index.ts";

/**
 * A session id derived from the conversation's opening (system prompt + first user message), as the
 * original server does: every turn of one frontend conversation maps to one session without any header.
 */
export function deriveSessionId(items: readonly Item[]): string {
  let system = "";
  let firstUser = "";
  for (const item of items) {
    if (item.type !== "message") continue;
    if ((item.role === "system" || item.role === "developer") && !firstUser) system += textOf(item.content);
    else if (item.role === "user") {
      firstUser = textOf(item.content);
      break;
    }
  }
  const opening = `${system}\n${firstUser}`;
  const remember = opening.length <= maxRememberedChars;
  let id = remember ? derivedIds.get(opening) : undefined;
  if (id === undefined) {
    id = `api-${createHash("sha256").update(opening).digest("hex").slice(0, 16)}`;
    // Every turn of a conversation hashes the same opening: remember the recent ones (the hash and its
    // Hash object cost more than the rest of the route's bookkeeping: 1.5 % → 0.2 % of `chat-json-50`'s
    // profile). Cleared, not evicted: cheap and bounded.
    if (remember) {
      if (derivedIds.size >= maxDerivedIds) derivedIds.clear();
      derivedIds.set(opening, id);
    }
  }
  return id;
}

/** Openings remembered by `deriveSessionId`, at most this many of at most this many characters (≤ 4 MiB). */
const maxDerivedIds = 1024;
const maxRememberedChars = 2048;
const derivedIds = new Map<string, string>();

/**
 * What a continuation adds to its session: the request's trailing items after its last assistant
 * turn (the new user message, or the tool outputs answering the last tool calls).
 */
export function newTurnItems(items: readonly Item[]): Item[] {
  let start = items.length;
  while (start > 0) {
    const item = items[start - 1];
    if (!item || (item.type === "message" && item.role === "assistant") || item.type === "function_call" || item.type === "reasoning") break;
    start--;
  }
  return items.slice(start);
}
