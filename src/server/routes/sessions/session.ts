import type { H3Event } from "h3";
import { readJsonBody } from "../../body.ts";
import { decodePatchSession, sessionEnvelope } from "../../../wire/sessions/index.ts";
import type { ServerContext } from "../../context.ts";
import { sessionIdParam } from "./params.ts";
import { sessionNotFound } from "../../../state/sessions.ts";

/** `GET /api/sessions/{id}`. */
export function createGetSessionHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = sessionIdParam(event);
    const record = await context.sessions.get(id);
    if (!record) throw sessionNotFound(id);
    return sessionEnvelope(record);
  };
}

/** `PATCH /api/sessions/{id}`: `title` (a string, or null to clear it) and `ended` (true ends the session, false reopens it). */
export function createPatchSessionHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = sessionIdParam(event);
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const changes = decodePatchSession(json);
    const record = await context.sessions.patch(id, changes);
    if (!record) throw sessionNotFound(id);
    return sessionEnvelope(record);
  };
}

/** `DELETE /api/sessions/{id}`: its metadata and messages; the stored responses of a Responses session stay. */
export function createDeleteSessionHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const id = sessionIdParam(event);
    if (!(await context.sessions.remove(id))) throw sessionNotFound(id);
    return { object: "hermes.session.deleted" as const, id, deleted: true };
  };
}
