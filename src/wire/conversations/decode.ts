import type { Item } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { inputToItems, type ItemReference } from "../responses/index.ts";
import { toRequestError } from "../zod-error.ts";
import { addItemsSchema, createConversationSchema, updateConversationSchema } from "./schema.ts";

/** Items to add to a conversation: protocol items with ids (kept or made), references still to resolve. */
export type NewConversationItems = (Item | ItemReference)[];

export interface DecodedCreateConversation {
  metadata: Record<string, string>;
  items: NewConversationItems;
}

/** Decodes a `POST /v1/conversations` body (a missing body is an empty conversation); a bad one is a 400 naming the field. */
export function decodeCreateConversation(body: unknown, newId: NewId): DecodedCreateConversation {
  const parsed = createConversationSchema.safeParse(body ?? {});
  if (!parsed.success) throw toRequestError(parsed.error);
  return { metadata: parsed.data.metadata ?? {}, items: inputToItems(parsed.data.items ?? [], newId) };
}

/** Decodes a `POST /v1/conversations/{id}` body: the new metadata (null clears it). */
export function decodeUpdateConversation(body: unknown): Record<string, string> {
  const parsed = updateConversationSchema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  return parsed.data.metadata ?? {};
}

/** Decodes a `POST /v1/conversations/{id}/items` body. */
export function decodeAddItems(body: unknown, newId: NewId): NewConversationItems {
  const parsed = addItemsSchema.safeParse(body);
  if (!parsed.success) throw toRequestError(parsed.error);
  return inputToItems(parsed.data.items, newId);
}
