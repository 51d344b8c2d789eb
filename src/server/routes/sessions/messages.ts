import type { H3Event } from "h3";
import { listMessagesQuerySchema, sessionMessages, toSessionsError } from "../../../wire/sessions/index.ts";
import type { ServerContext } from "../../context.ts";
import { sessionNotFound } from "../../../state/sessions.ts";
import { validatedQuery } from "../../query.ts";
import { sessionIdParam } from "./params.ts";

/** `GET /api/sessions/{id}/messages`: the history as chat messages, oldest first, paged by `limit` and `offset`. */
export function createSessionMessagesHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = sessionIdParam(event);
    const { limit, offset } = await validatedQuery(event, listMessagesQuerySchema, toSessionsError);
    const items = await context.sessions.history(id);
    if (!items) throw sessionNotFound(id);
    const messages = sessionMessages(id, items);
    return {
      object: "list" as const,
      session_id: id,
      data: messages.slice(offset, offset + limit),
      limit,
      offset,
      total: messages.length,
      has_more: offset + limit < messages.length,
    };
  };
}
