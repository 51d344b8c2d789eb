import type { H3Event } from "h3";
import { HermesError, randomId } from "../../../protocol/index.ts";
import { RunCollector } from "../../../wire/collect.ts";
import { decodeSessionChat, encodeSessionChatCompletion, SessionChatStreamEncoder } from "../../../wire/sessions/index.ts";
import { readJsonBody } from "../../body.ts";
import { watchClient } from "../../client-gone.ts";
import type { ServerContext } from "../../context.ts";
import { sseResponse } from "../../sse-response.ts";
import { sessionIdParam } from "./params.ts";
import { startSessionTurn } from "./start-turn.ts";

const turnHeaders = (sessionId: string, runId: string) => ({ "x-hermes-session-id": sessionId, "x-hermes-run-id": runId });

/** `POST /api/sessions/{id}/chat`: one turn, answered as one JSON body once the run is over. A client that goes away stops the run. */
export function createSessionChatHandler(context: ServerContext) {
  return async (event: H3Event) => {
    const sessionId = sessionIdParam(event);
    const { json } = await readJsonBody(event, context.config.server.bodyLimit);
    const request = decodeSessionChat(json);
    const turn = await startSessionTurn(context, event, sessionId, request);
    const unwatch = watchClient(event, () => turn.stop());
    const collector = new RunCollector();
    try {
      for (let next = await turn.queue.next(); !next.done; next = await turn.queue.next()) for (const runEvent of next.value) collector.add(runEvent);
    } finally {
      unwatch();
    }
    const { result } = collector;
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
    const turn = await startSessionTurn(context, event, sessionId, request);
    const encoder = new SessionChatStreamEncoder({
      sessionId,
      runId: turn.run.id,
      messageId: randomId("msg_"),
      userContent: request.content,
      now: () => Date.now() / 1000,
    });
    return sseResponse({
      buffered: [],
      events: turn.queue,
      encoder,
      headers: turnHeaders(sessionId, turn.run.id),
      keepaliveMs: context.config.server.keepaliveMs,
      onClose: (reason) => {
        if (reason === "client_closed") turn.stop();
      },
    });
  };
}
