import type { H3Event } from "h3";
import { HermesError } from "../../../protocol/index.ts";
import { randomId } from "../../../utils/index.ts";
import { decodeSessionChat, encodeSessionChatCompletion, SessionChatStreamEncoder } from "../../../wire/sessions/index.ts";
import { readJsonBody } from "../../body.ts";
import { watchClient } from "../../client-gone.ts";
import type { ServerContext } from "../../context.ts";
import { runFrames } from "../../run-stream.ts";
import { sseResponse } from "../../sse-response.ts";
import { sessionIdParam } from "./params.ts";
import { requestIdOf } from "../../request-id.ts";
import { requestedSessionKey } from "../../session-key.ts";
import { startSessionTurn } from "../../../runtime/turns/session-turn.ts";

const turnHeaders = (sessionId: string, runId: string) => ({ "x-hermes-session-id": sessionId, "x-hermes-run-id": runId });

/** `POST /api/sessions/{id}/chat`: one turn, answered as one JSON body once the run is over. A client that goes away stops the run. */
export function createSessionChatHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const sessionId = sessionIdParam(event);
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const request = decodeSessionChat(json);
    const sessionKey = requestedSessionKey(event, Boolean(context.config.server.apiKey));
    const turn = await startSessionTurn(context, sessionId, request, requestIdOf(event), sessionKey);
    const unwatch = watchClient(event, () => turn.stop());
    try {
      // The run folds its own events; this waits for its end.
      for (let next = await turn.queue.next(); !next.done; next = await turn.queue.next());
    } finally {
      unwatch();
    }
    const { result } = turn;
    if (result.status === "failed" || result.status === "in_progress") {
      const { message, ...info } = result.error ?? { message: "The run ended without an answer", status: 502, code: "run_failed" };
      throw new HermesError(message, info);
    }
    for (const [name, value] of Object.entries(turnHeaders(sessionId, turn.run.id))) event.res.headers.set(name, value);
    return encodeSessionChatCompletion(sessionId, turn.run.id, result);
  };
}

/**
 * `POST /api/sessions/{id}/chat/stream`: the same turn as named SSE events (see `SessionChatStreamEncoder`).
 * A client that goes away stops the run; server shutdown ends it with an `error` event.
 */
export function createSessionChatStreamHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const sessionId = sessionIdParam(event);
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const request = decodeSessionChat(json);
    const sessionKey = requestedSessionKey(event, Boolean(context.config.server.apiKey));
    const turn = await startSessionTurn(context, sessionId, request, requestIdOf(event), sessionKey);
    const encoder = new SessionChatStreamEncoder({
      sessionId,
      runId: turn.run.id,
      messageId: randomId("msg_"),
      userContent: request.content,
      now: () => Date.now() / 1000,
      run: turn.result,
    });
    return sseResponse({
      source: turn.queue,
      ...runFrames(encoder),
      headers: turnHeaders(sessionId, turn.run.id),
      keepaliveMs: context.config.server.keepaliveMs,
      onClose: (reason) => {
        if (reason === "client_closed") turn.stop();
      },
    });
  };
}
