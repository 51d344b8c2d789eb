import type { ServerContext } from "../../context.ts";
import {
  createCreateConversationHandler,
  createDeleteConversationHandler,
  createGetConversationHandler,
  createUpdateConversationHandler,
} from "./conversation.ts";
import { createAddItemsHandler, createDeleteItemHandler, createGetItemHandler, createListItemsHandler } from "./items.ts";

/** The Conversations API's handlers (`/v1/conversations*`), for the app's route table. */
export function createConversationsHandlers(context: ServerContext) {
  return {
    create: createCreateConversationHandler(context),
    get: createGetConversationHandler(context),
    update: createUpdateConversationHandler(context),
    remove: createDeleteConversationHandler(context),
    listItems: createListItemsHandler(context),
    addItems: createAddItemsHandler(context),
    getItem: createGetItemHandler(context),
    removeItem: createDeleteItemHandler(context),
  };
}
