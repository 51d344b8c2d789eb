import type { H3Event } from "h3";
import { HermesError } from "../../../protocol/index.ts";
import { addConversationItems, getConversation } from "../../../runtime/conversations.ts";
import { randomId } from "../../../utils/index.ts";
import {
  conversationItem,
  conversationObject,
  decodeAddItems,
  itemList,
  itemPage,
  itemQuerySchema,
  listItemsQuerySchema,
} from "../../../wire/conversations/index.ts";
import { readJsonBody } from "../../body.ts";
import type { ServerContext } from "../../context.ts";
import { validatedQuery } from "../../query.ts";
import { pathParam } from "./params.ts";

const itemNotFound = (conversationId: string, itemId: string) =>
  new HermesError(`Item ${itemId} not found in conversation ${conversationId}`, { status: 404, code: "item_not_found", param: "item_id" });

/** `GET /v1/conversations/{conversation_id}/items`: a page, with `after`, `limit`, `order` (default `desc`). */
export function createListItemsHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = pathParam(event, "conversation_id");
    const query = await validatedQuery(event, listItemsQuerySchema);
    await getConversation(context, id);
    const items = await context.conversations.items(id);
    return itemPage(
      items.map((entry) => entry.item),
      query,
    );
  };
}

/** `POST /v1/conversations/{conversation_id}/items`: appends up to 20 items; answers them as a list. */
export function createAddItemsHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = pathParam(event, "conversation_id");
    await validatedQuery(event, itemQuerySchema);
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const added = await addConversationItems(context, id, decodeAddItems(json, randomId));
    return itemList(added.map((entry) => entry.item));
  };
}

/** `GET /v1/conversations/{conversation_id}/items/{item_id}`. */
export function createGetItemHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = pathParam(event, "conversation_id");
    const itemId = pathParam(event, "item_id");
    await validatedQuery(event, itemQuerySchema);
    await getConversation(context, id);
    const found = await context.conversations.item(id, itemId);
    if (!found) throw itemNotFound(id, itemId);
    return conversationItem(found.item);
  };
}

/** `DELETE /v1/conversations/{conversation_id}/items/{item_id}`: answers the conversation, as the API does. */
export function createDeleteItemHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = pathParam(event, "conversation_id");
    const itemId = pathParam(event, "item_id");
    const conversation = await getConversation(context, id);
    if (!(await context.conversations.removeItem(id, itemId))) throw itemNotFound(id, itemId);
    return conversationObject(conversation);
  };
}
