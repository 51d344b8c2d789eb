import { HermesError, type Item } from "../../protocol/index.ts";
import { itemToWire, type WireItem } from "../responses/index.ts";

/** What a Conversation object is built from. */
export interface ConversationFacts {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  metadata: Record<string, string>;
}

/** The Conversation object. */
export function conversationObject(conversation: ConversationFacts) {
  return { id: conversation.id, object: "conversation" as const, created_at: conversation.createdAt, metadata: conversation.metadata };
}

export function deletedConversation(id: string) {
  return { id, object: "conversation.deleted" as const, deleted: true };
}

/** A conversation item as the API shows it: the same shape as a Response's output item. */
export const conversationItem = (item: Item): WireItem => itemToWire(item);

/** Items as the list object (`first_id`, `last_id`, `has_more`). */
export function itemList(items: readonly Item[], hasMore = false) {
  const data = items.map(conversationItem);
  return { object: "list" as const, data, first_id: data[0]?.id ?? null, last_id: data.at(-1)?.id ?? null, has_more: hasMore };
}

/**
 * One page of a conversation's items (oldest first in `items`): in `order`, after the item `after`,
 * at most `limit`. An `after` that is not in the conversation is a 400 naming it.
 */
export function itemPage(items: readonly Item[], page: { order: "asc" | "desc"; after?: string | undefined; limit: number }) {
  let ordered = page.order === "desc" ? [...items].reverse() : [...items];
  if (page.after !== undefined) {
    const index = ordered.findIndex((item) => item.id === page.after);
    if (index === -1) throw new HermesError(`Item not found in this conversation: ${page.after}`, { status: 400, code: "invalid_request", param: "after" });
    ordered = ordered.slice(index + 1);
  }
  return itemList(ordered.slice(0, page.limit), ordered.length > page.limit);
}
