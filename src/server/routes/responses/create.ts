import type { H3Event } from "h3";
import { HTTPResponse } from "h3";
import { HermesError, type HermesEvent } from "../../../protocol/index.ts";
import { chooseModel } from "../../../runtime/model.ts";
import { peekBatches } from "../../../runtime/peek-run.ts";
import { beginResponseTurn, type ResponseTurn, runInBackground } from "../../../runtime/turns/response-turn.ts";
import { storeBeforeEnd } from "../../../runtime/turns/store-before-end.ts";
import { itemIdsFor } from "../../../state/item-index.ts";
import { randomId } from "../../../utils/index.ts";
import { decodeResponsesRequest, pendingResponse, ResponsesStreamEncoder } from "../../../wire/responses/index.ts";
import { readJsonBody } from "../../body.ts";
import { clientOf, type ServerContext } from "../../context.ts";
import { idempotencyKey, idempotentJson } from "../../idempotency-key.ts";
import { requestIdOf } from "../../request-id.ts";
import { requestedSessionKey } from "../../session-key.ts";
import { runFrames } from "../../run-stream.ts";
import { sseResponse } from "../../sse-response.ts";
import { loggable } from "../../../state/storage-guard.ts";
import { logger } from "../../../utils/logger.ts";

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };
const sessionHeaders = (turn: ResponseTurn): Record<string, string> => ({
  "x-hermes-session-id": turn.sessionId,
  ...(turn.droppedTools.length > 0 && { "x-hermes-dropped-tools": turn.droppedTools.join(", ") }),
});

/**
 * `POST /v1/responses`: decode → a turn on its chain (runtime: `conversation_history`,
 * `previous_response_id` or a `conversation` name; stored when `store` is on) → encode, streamed, as
 * one body, or in the background.
 */
export function createResponsesHandler(context: ServerContext) {
  const { config, upstream } = context;

  return async (event: H3Event) => {
    const { json, text } = await readJsonBody(event, config.server.bodyLimit);
    // The response's id first: its items' ids name it (`itemIdsFor`), so that storing it writes no
    // item index entry for them.
    const response = randomId("resp_");
    const ids = { response, items: itemIdsFor(response) };
    const request = decodeResponsesRequest(json, ids.items);
    const model = chooseModel(config, upstream, request.model);
    const sessionKey = requestedSessionKey(event, Boolean(config.server.apiKey));
    const begin = () => beginResponseTurn(context, ids, request, model, requestIdOf(event), sessionKey);

    if (request.settings.background) {
      const turn = await begin();
      const queued = await runInBackground(context, turn);
      const running = context.background.get(queued.id);
      if (!request.stream || !running) return new HTTPResponse(JSON.stringify(queued), { status: 200, headers: { ...jsonHeaders, ...sessionHeaders(turn) } });
      // `stream: true` too: the run's frames from the first, as a re-attached stream reads them. The run
      // is detached all the same: a client that goes away stops its stream, not the response.
      return sseResponse({
        source: context.background.replay(running, -1),
        frame: (text: string) => text,
        headers: sessionHeaders(turn),
        keepaliveMs: config.server.keepaliveMs,
      });
    }
    if (request.stream) return stream(context, await begin(), event);

    const complete = async () => {
      const turn = await begin();
      const { batches, release, fold } = turn.start(clientOf(event));
      try {
        for await (const batch of batches) for (const runEvent of batch) fold.collector.add(runEvent);
      } catch (error) {
        await turn.saver.abandon();
        throw error;
      } finally {
        release();
      }
      const { result } = fold.collector;
      if (result.status === "failed") {
        await turn.saver.abandon();
        const { message, ...info } = result.error ?? { message: "The run failed", status: 502, type: "server_error", code: "run_failed", param: null };
        throw new HermesError(message, info);
      }
      const response = fold.response();
      await turn.saver.final(response);
      return { status: 200, body: response, headers: sessionHeaders(turn) };
    };
    const key = idempotencyKey(event);
    return idempotentJson(context.idempotency, "responses", key, text, complete);
  };
}

/** `stream: true`: the final response is stored before its terminal event goes out. */
async function stream(context: ServerContext, turn: ResponseTurn, event: H3Event): Promise<HTTPResponse> {
  const { meta, saver } = turn;
  const { batches, release, fold } = turn.start(clientOf(event));
  const held = storeBeforeEnd(batches, fold, () => saver.final(fold.response()));
  let buffered: HermesEvent[];
  try {
    buffered = await peekBatches(held.iterator);
  } catch (error) {
    release();
    await saver.abandon();
    throw error;
  }
  held.commit();
  // Not acknowledged by itself (the stream is): a snapshot that cannot be stored is only logged.
  saver.progress(pendingResponse(meta, "in_progress")).catch((error: unknown) => logger.error("storing an in-progress snapshot failed:", loggable(error)));
  return sseResponse({
    buffered,
    source: held.iterator,
    ...runFrames(new ResponsesStreamEncoder(meta, () => fold.response())),
    headers: sessionHeaders(turn),
    keepaliveMs: context.config.server.keepaliveMs,
    onClose: (reason) => {
      release();
      // A client that went away still leaves what it was sent, marked incomplete. A failure is the
      // saver's to log and settle; the stream already ended as it could.
      saver.final(fold.response(reason === "client_closed" ? { status: "incomplete", reason: "client_disconnected" } : undefined)).catch(() => undefined);
    },
  });
}
