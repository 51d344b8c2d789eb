import type { ServerContext } from "../../context.ts";
import { createSessionChatHandler, createSessionChatStreamHandler } from "./chat.ts";
import { createCreateSessionHandler } from "./create.ts";
import { createForkSessionHandler } from "./fork.ts";
import { createListSessionsHandler } from "./list.ts";
import { createSessionMessagesHandler } from "./messages.ts";
import { createDeleteSessionHandler, createGetSessionHandler, createPatchSessionHandler } from "./session.ts";

/** The Sessions API's handlers (`/api/sessions*`), for the app's route table. */
export function createSessionsHandlers(context: ServerContext) {
  return {
    list: createListSessionsHandler(context),
    create: createCreateSessionHandler(context),
    get: createGetSessionHandler(context),
    patch: createPatchSessionHandler(context),
    remove: createDeleteSessionHandler(context),
    messages: createSessionMessagesHandler(context),
    fork: createForkSessionHandler(context),
    chat: createSessionChatHandler(context),
    chatStream: createSessionChatStreamHandler(context),
  };
}
