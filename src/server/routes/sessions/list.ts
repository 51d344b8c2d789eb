import type { H3Event } from "h3";
import { encodeSession, listSessionsQuerySchema, toSessionsError } from "../../../wire/sessions/index.ts";
import type { ServerContext } from "../../context.ts";
import { validatedQuery } from "../../query.ts";

/** `GET /api/sessions`: sessions from every API, most recently active first, paged by `limit` and `offset` or `after`. */
export function createListSessionsHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const request = await validatedQuery(event, listSessionsQuerySchema, toSessionsError);
    const page = await context.sessions.list(request);
    return {
      object: "list" as const,
      data: page.data.map(encodeSession),
      limit: request.limit,
      offset: request.offset,
      has_more: page.hasMore,
      next_cursor: page.nextCursor,
    };
  };
}
