import type { H3Event } from "h3";
import { RunCollector } from "../../runtime/collect.ts";
import { peekBatches } from "../../runtime/peek-run.ts";
import { createChatTurns } from "../../runtime/turns/chat-turn.ts";
import { ChatStreamEncoder, chatResultHeaders, decodeChatRequest, encodeChatCompletion } from "../../wire/chat/index.ts";
import { readJsonBody } from "../body.ts";
import { clientOf, type ServerContext } from "../context.ts";
import { idempotencyKey, idempotentJson } from "../idempotency-key.ts";
import { requestIdOf } from "../request-id.ts";
import { requestedSessionId } from "../session-id.ts";
import { requestedSessionKey } from "../session-key.ts";
import { runFrames } from "../run-stream.ts";
import { sseResponse } from "../sse-response.ts";

/** `POST /v1/chat/completions`: decode → a turn on its session (runtime) → encode, streamed or as one body. */
export function createChatCompletionsHandler(context: ServerContext) {
  const { config } = context;
  const beginChatTurn = createChatTurns(context);

  return async (event: H3Event) => {
    const { json, text } = await readJsonBody(event, config.server.bodyLimit);
    const request = decodeChatRequest(json);
    const keyed = Boolean(config.server.apiKey);
    const turn = await beginChatTurn(request, requestedSessionId(event, keyed), requestIdOf(event), requestedSessionKey(event, keyed));
    const headers = { "x-hermes-session-id": turn.sessionId };

    if (request.stream) {
      const { batches, release } = turn.start(clientOf(event));
      let buffered;
      try {
        buffered = await peekBatches(batches);
      } catch (error) {
        release();
        throw error;
      }
      const collector = new RunCollector();
      const encoder = new ChatStreamEncoder({ includeUsage: request.includeUsage });
      return sseResponse({
        buffered,
        source: batches,
        // The route's one fold of the run: what the session records once the stream is over.
        ...runFrames(encoder, collector),
        headers,
        keepaliveMs: config.server.keepaliveMs,
        onClose: () => {
          release();
          const { status } = collector.result;
          if (status !== "failed" && status !== "in_progress") turn.save(collector.result);
        },
      });
    }

    const complete = async () => {
      const { batches, release } = turn.start(clientOf(event));
      const collector = new RunCollector();
      try {
        for await (const batch of batches) for (const runEvent of batch) collector.add(runEvent);
      } finally {
        release();
      }
      const body = encodeChatCompletion(collector.result);
      turn.save(collector.result);
      // An answer cut short is a 200 still: the original server's headers say it is not whole.
      return { status: 200, body, headers: { ...headers, ...chatResultHeaders(collector.result) } };
    };

    const key = idempotencyKey(event);
    return idempotentJson(context.idempotency, "chat", key, text, complete);
  };
}
