import type { H3Event } from "h3";
import { HTTPResponse } from "h3";
import { FastResponse } from "srvx";
import { runAgent } from "../../../agent/loop.ts";
import { HermesError, type HermesEvent, randomId, type RunInput } from "../../../protocol/index.ts";
import { RunCollector } from "../../../wire/collect.ts";
import {
  type DecodedResponsesRequest,
  decodeResponsesRequest,
  encodeResponse,
  pendingResponse,
  type ResponseMeta,
  ResponsesStreamEncoder,
} from "../../../wire/responses/index.ts";
import { readJsonBody } from "../../body.ts";
import type { ServerContext } from "../../context.ts";
import { idempotencyKey } from "../../idempotency-key.ts";
import { chooseModel } from "../../model.ts";
import { peekBatches } from "../../peek-run.ts";
import { requestIdOf } from "../../request-id.ts";
import { sseResponse } from "../../sse-response.ts";
import { resolveTurn } from "./resolve-turn.ts";
import { storeBeforeEnd } from "./store-before-end.ts";
import { createTurnSaver } from "./turn-saver.ts";

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };

/**
 * `POST /v1/responses`: decode → resolve the chain (`conversation_history`, `previous_response_id` or
 * a `conversation` name) → run → encode, streamed, as one body, or in the background — then store the
 * turn (its own input and output only, plus its parent's id) when `store` is on.
 */
export function createResponsesHandler(context: ServerContext) {
  const { config, upstream } = context;

  return async (event: H3Event) => {
    const { json, text } = await readJsonBody(event, config.server.bodyLimit);
    const request = decodeResponsesRequest(json, randomId);
    const model = chooseModel(config, upstream, request.model);
    const begin = () => beginTurn(context, request, model, requestIdOf(event));

    if (request.settings.background) return runInBackground(context, await begin());
    if (request.stream) return stream(context, await begin(), event);

    const complete = async () => {
      const turn = await begin();
      const { batches, release } = turn.start(event);
      const collector = new RunCollector();
      try {
        for await (const batch of batches) for (const runEvent of batch) collector.add(runEvent);
      } catch (error) {
        await turn.saver.abandon();
        throw error;
      } finally {
        release();
      }
      const { result } = collector;
      if (result.status === "failed") {
        await turn.saver.abandon();
        const { message, ...info } = result.error ?? { message: "The run failed", status: 502, type: "server_error", code: "run_failed", param: null };
        throw new HermesError(message, info);
      }
      const response = encodeResponse(result, turn.meta);
      await turn.saver.final(response);
      return { status: 200, body: response, headers: turn.headers };
    };
    const key = idempotencyKey(event);
    const reply = key ? await context.idempotency.run("responses", key, text, complete) : { ...(await complete()), replayed: false };
    // srvx writes a FastResponse straight to Node's response; h3's HTTPResponse would build web Headers for it.
    return new FastResponse(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { ...jsonHeaders, ...reply.headers, ...(reply.replayed && { "idempotency-replayed": "true" }) },
    });
  };
}

type BegunTurn = Awaited<ReturnType<typeof beginTurn>>;

/** Resolves the history (claiming a conversation name), and prepares the run and the saver. */
async function beginTurn(
  context: ServerContext,
  request: DecodedResponsesRequest,
  model: { upstream: string; reported: string; contextTokens?: number },
  requestId: string | undefined,
) {
  const { config, upstream, lifecycle } = context;
  const id = randomId("resp_");
  const turn = await resolveTurn(context, request, id, model.contextTokens);
  const { settings } = request;
  const meta: ResponseMeta = { id, createdAt: Math.floor(Date.now() / 1000), model: model.reported, settings };
  const input: RunInput = { ...request.run, model: model.upstream, items: turn.items };
  const instructions = [config.agent.systemPrompt, settings.instructions].filter(Boolean).join("\n\n");
  if (instructions) input.instructions = instructions;
  const saver = createTurnSaver(context.responses, turn, {
    store: settings.store,
    conversation: request.conversation,
    ...(settings.background && { owner: context.commands.instanceId }),
    requestId,
    sessions: context.sessions,
  });
  /** Starts the run; it stops when `client` (the request's event, or a signal) goes away. */
  const start = (client: H3Event | AbortSignal) => {
    const run = lifecycle.runSignal(client);
    const batches = runAgent(input, {
      upstream,
      runId: meta.id,
      model: meta.model,
      createdAt: meta.createdAt,
      signal: run.signal,
      maxIterations: config.agent.maxIterations,
      registry: context.registry,
      sessionId: turn.sessionId,
      toolTimeoutMs: config.agent.toolTimeoutMs,
      requestId,
    });
    return { batches, release: run.release };
  };
  return { meta, saver, start, headers: { "x-hermes-session-id": turn.sessionId } };
}

/** `background: true`: answers `queued` at once; the run goes on here, and its snapshot is kept in storage. */
async function runInBackground(context: ServerContext, turn: BegunTurn): Promise<HTTPResponse> {
  const { background } = context;
  const { meta, saver } = turn;
  const controller = new AbortController();
  const queued = pendingResponse(meta, "queued");
  await saver.progress(queued);
  const running = background.start(meta.id, controller);
  const { batches, release } = turn.start(controller.signal);
  const encoder = new ResponsesStreamEncoder(meta);
  void (async () => {
    try {
      for await (const batch of batches) for (const runEvent of batch) background.push(running, encoder.encode(runEvent));
    } finally {
      release();
      const cancelled = controller.signal.aborted;
      await saver.final(encoder.response(cancelled ? { status: "cancelled", reason: "cancelled" } : undefined));
      background.finish(meta.id, running);
    }
  })();
  return new HTTPResponse(JSON.stringify(queued), { status: 200, headers: { ...jsonHeaders, ...turn.headers } });
}

/** `stream: true`: the final response is stored before its terminal event goes out. */
async function stream(context: ServerContext, turn: BegunTurn, event: H3Event): Promise<HTTPResponse> {
  const { meta, saver } = turn;
  const { batches, release } = turn.start(event);
  const held = storeBeforeEnd(batches, (result) => saver.final(encodeResponse(result, meta)));
  let buffered: HermesEvent[];
  try {
    buffered = await peekBatches(held.iterator);
  } catch (error) {
    release();
    await saver.abandon();
    throw error;
  }
  held.commit();
  const encoder = new ResponsesStreamEncoder(meta);
  void saver.progress(pendingResponse(meta, "in_progress"));
  return sseResponse({
    buffered,
    events: held.iterator,
    encoder,
    headers: turn.headers,
    keepaliveMs: context.config.server.keepaliveMs,
    onClose: (reason) => {
      release();
      // A client that went away still leaves what it was sent, marked incomplete.
      void saver.final(encoder.response(reason === "client_closed" ? { status: "incomplete", reason: "client_disconnected" } : undefined));
    },
  });
}
