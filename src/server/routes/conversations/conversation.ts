import type { H3Event } from "h3";
import { createConversation, getConversation } from "../../../runtime/conversations.ts";
import { conversationNotFound } from "../../../state/conversations.ts";
import { randomId } from "../../../utils/index.ts";
import { conversationObject, decodeCreateConversation, decodeUpdateConversation, deletedConversation } from "../../../wire/conversations/index.ts";
import { readJsonBody, readOptionalJsonBody } from "../../body.ts";
import type { ServerContext } from "../../context.ts";
import { pathParam } from "./params.ts";

/** `POST /v1/conversations`: `metadata` and up to 20 first `items`, stored before the answer. */
export function createCreateConversationHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const request = decodeCreateConversation(await readOptionalJsonBody(event, context.config.server.bodyLimit), randomId);
    const { conversation } = await createConversation(context, request);
    return conversationObject(conversation);
  };
}

/** `GET /v1/conversations/{conversation_id}`. */
export function createGetConversationHandler(context: ServerContext) {
  return async (event: H3Event) => conversationObject(await getConversation(context, pathParam(event, "conversation_id")));
}

/** `POST /v1/conversations/{conversation_id}`: replaces its `metadata`. */
export function createUpdateConversationHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = pathParam(event, "conversation_id");
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const record = await context.conversations.setMetadata(id, decodeUpdateConversation(json));
    if (!record) throw conversationNotFound(id, "conversation_id");
    return conversationObject(record);
  };
}

/** `DELETE /v1/conversations/{conversation_id}`: the conversation and its items (stored responses stay). */
export function createDeleteConversationHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = pathParam(event, "conversation_id");
    if (!(await context.conversations.remove(id))) throw conversationNotFound(id, "conversation_id");
    return deletedConversation(id);
  };
}
