import { conversationNotFound, type ConversationItem, type ConversationRecord } from "../state/conversations.ts";
import { randomId } from "../utils/index.ts";
import type { DecodedCreateConversation, NewConversationItems } from "../wire/conversations/index.ts";
import type { RuntimeContext } from "./context.ts";
import { resolveReferences } from "./stored-items.ts";

type Context = Pick<RuntimeContext, "items" | "responses" | "conversations">;

/** Conversations made here are `conv_` ids; any other `conversation` a Responses turn names is a name, made on first use. */
export const isConversationId = (id: string): boolean => id.startsWith("conv_");

/** `POST /v1/conversations`: a new conversation, its first items (references resolved to copies) stored before it is returned. */
export async function createConversation(context: Context, request: DecodedCreateConversation) {
  const items = await resolveReferences(context, request.items, [], "items");
  const conversation = { id: randomId("conv_"), createdAt: Math.floor(Date.now() / 1000), metadata: request.metadata, sessionId: randomId("sess_") };
  return context.conversations.create(conversation, items);
}

/** The conversation, or 404 `conversation_not_found` naming the path's `conversation_id`. */
export async function getConversation(context: Context, id: string): Promise<ConversationRecord> {
  const record = await context.conversations.get(id);
  if (!record) throw conversationNotFound(id, "conversation_id");
  return record;
}

/**
 * `POST /v1/conversations/{id}/items`: appends the items, after any a turn or another request added
 * meanwhile (positions come from one atomic counter: nothing is lost or overwritten).
 */
export async function addConversationItems(context: Context, id: string, input: NewConversationItems): Promise<ConversationItem[]> {
  await getConversation(context, id);
  const items = await resolveReferences(context, input, [], "items");
  const added = await context.conversations.add(id, items);
  if (!added) throw conversationNotFound(id, "conversation_id");
  return added;
}
