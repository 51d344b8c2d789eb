import type { H3Event } from "h3";
import { HTTPResponse } from "h3";
import { randomId } from "../../../utils/index.ts";
import type { SessionRecord } from "../../../state/sessions.ts";
import { decodeCreateSession, sessionEnvelope } from "../../../wire/sessions/index.ts";
import type { ServerContext } from "../../context.ts";
import { readOptionalJsonBody } from "../../body.ts";

/** `POST /api/sessions`: an empty session, 201; an id already taken is a 409 `session_exists` (checked and inserted atomically). */
export function createCreateSessionHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const request = decodeCreateSession((await readOptionalJsonBody(event, context.config.server.bodyLimit)) ?? {});
    const record = await context.sessions.create(request.id ?? randomId("sess_"), {
      title: request.title ?? null,
      model: request.model ?? context.config.model.name,
      systemPrompt: request.systemPrompt ?? null,
    });
    return sessionCreated(record);
  };
}

/** 201 with the new session (create and fork) and its address. */
export function sessionCreated(record: SessionRecord): HTTPResponse {
  return new HTTPResponse(JSON.stringify(sessionEnvelope(record)), {
    status: 201,
    headers: { "content-type": "application/json; charset=utf-8", location: `/api/sessions/${encodeURIComponent(record.id)}` },
  });
}
