import type { H3Event } from "h3";
import { randomId } from "../../../utils/index.ts";
import { decodeForkSession } from "../../../wire/sessions/index.ts";
import type { ServerContext } from "../../context.ts";
import { sessionCreated } from "./create.ts";
import { readOptionalJsonBody } from "../../body.ts";
import { sessionIdParam } from "./params.ts";
import { sessionNotFound } from "../../../state/sessions.ts";

/**
 * `POST /api/sessions/{id}/fork`: a new session (201) with a copy of the messages so far and
 * `parent_session_id` set; the source ends with reason `branched`. An id already taken is a 409.
 */
export function createForkSessionHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const sourceId = sessionIdParam(event);
    const request = decodeForkSession(await readOptionalJsonBody(event, context.config.server.bodyLimit));
    const fork = await context.sessions.fork(sourceId, request.id ?? randomId("sess_"), request.title);
    if (!fork) throw sessionNotFound(sourceId);
    return sessionCreated(fork);
  };
}
