import type { H3Event } from "h3";
import { HTTPResponse } from "h3";
import { runAgent } from "../../../agent/loop.ts";
import { truncateHistory } from "../../../agent/truncate.ts";
import { HermesError, type HermesEvent, type Item, randomId, type RunInput } from "../../../protocol/index.ts";
import type { StoredResponse } from "../../../state/responses.ts";
import { RunCollector } from "../../../wire/collect.ts";
import {
  compactResponse,
  type DecodedResponsesRequest,
  decodeResponsesRequest,
  encodeResponse,
  type ItemReference,
  pendingResponse,
  type ResponseMeta,
  type ResponseObject,
  ResponsesStreamEncoder,
} from "../../../wire/responses/index.ts";
import { readJsonBody } from "../../body.ts";
import type { ServerContext } from "../../context.ts";
import { idempotencyKey } from "../../idempotency-key.ts";
import { chooseModel } from "../../model.ts";
import { peekRun } from "../../peek-run.ts";
import { sseResponse } from "../../sse-response.ts";

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };

/**
 * `POST /v1/responses`: decode → resolve the chain (`conversation_history`, `previous_response_id` or
 * a `conversation` name) → run → encode, streamed, as one body, or in the background — then store the
 * turn (its own input and output only, plus its parent's id) when `store` is on.
 */
export function createResponsesHandler(context: ServerContext) {
  const { config, upstream, lifecycle, responses, conversations, background } = context;

  return async (event: H3Event) => {
    const { json, text } = await readJsonBody(event, config.server.bodyLimit);
    const request = decodeResponsesRequest(json, randomId);
    const model = chooseModel(config, upstream, request.model);
    const turn = await resolveTurn(context, request);
    const { settings } = request;
    const meta: ResponseMeta = { id: randomId("resp_"), createdAt: Math.floor(Date.now() / 1000), model: model.reported, settings };
    const input: RunInput = { ...request.run, model: model.upstream, items: turn.items };
    const instructions = [config.agent.systemPrompt, settings.instructions].filter(Boolean).join("\n\n");
    if (instructions) input.instructions = instructions;
    const headers = { "x-hermes-session-id": turn.sessionId };

    // Saves run one after another, so a late in_progress snapshot never overwrites the final one.
    let saving = Promise.resolve();
    const save = (response: ResponseObject) => {
      if (!settings.store) return saving;
      const record: StoredResponse = { response: compactResponse(response), input: turn.newItems, parentId: turn.parentId, sessionId: turn.sessionId };
      if (request.conversation) record.conversation = request.conversation;
      saving = saving
        .then(async () => {
          await responses.save(record);
          if (request.conversation) await conversations.advance(request.conversation, response.id);
        })
        .catch((error) => console.error("[hermes-proxy] storing a response failed:", error));
      return saving;
    };
    const start = (clientSignal: AbortSignal | undefined) => {
      const run = lifecycle.runSignal(clientSignal);
      const events = runAgent(input, {
        upstream,
        runId: meta.id,
        model: meta.model,
        createdAt: meta.createdAt,
        signal: run.signal,
        maxIterations: config.agent.maxIterations,
        registry: context.registry,
        sessionId: turn.sessionId,
        toolTimeoutMs: config.agent.toolTimeoutMs,
      });
      return { events, release: run.release, signal: run.signal };
    };

    if (settings.background) {
      const controller = new AbortController();
      const queued = pendingResponse(meta, "queued");
      await save(queued);
      const running = background.start(meta.id, controller);
      const { events, release } = start(controller.signal);
      const encoder = new ResponsesStreamEncoder(meta);
      void (async () => {
        try {
          for await (const runEvent of events) background.push(running, encoder.encode(runEvent));
        } finally {
          release();
          const cancelled = controller.signal.aborted;
          await save(encoder.response(cancelled ? { status: "cancelled", reason: "cancelled" } : undefined));
          background.finish(meta.id, running);
        }
      })();
      return new HTTPResponse(JSON.stringify(queued), { status: 200, headers: { ...jsonHeaders, ...headers } });
    }

    if (request.stream) {
      const { events, release } = start(event.req.signal);
      const iterator = events[Symbol.asyncIterator]();
      let buffered: HermesEvent[];
      try {
        buffered = await peekRun(iterator);
      } catch (error) {
        release();
        throw error;
      }
      const encoder = new ResponsesStreamEncoder(meta);
      void save(pendingResponse(meta, "in_progress"));
      return sseResponse({
        buffered,
        events: iterator,
        encoder,
        headers,
        keepaliveMs: config.server.keepaliveMs,
        onClose: (reason) => {
          release();
          // A client that went away still leaves what it was sent, marked incomplete.
          void save(encoder.response(reason === "client_closed" ? { status: "incomplete", reason: "client_disconnected" } : undefined));
        },
      });
    }

    const complete = async () => {
      const { events, release } = start(event.req.signal);
      const collector = new RunCollector();
      try {
        for await (const runEvent of events) collector.add(runEvent);
      } finally {
        release();
      }
      const { result } = collector;
      if (result.status === "failed") {
        const { message, ...info } = result.error ?? { message: "The run failed", status: 502, type: "server_error", code: "run_failed", param: null };
        throw new HermesError(message, info);
      }
      const response = encodeResponse(result, meta);
      await save(response);
      return { status: 200, body: response, headers };
    };

    const key = idempotencyKey(event);
    const reply = key ? await context.idempotency.run("responses", key, text, complete) : { ...(await complete()), replayed: false };
    return new HTTPResponse(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { ...jsonHeaders, ...reply.headers, ...(reply.replayed && { "idempotency-replayed": "true" }) },
    });
  };
}

interface Turn {
  /** The whole history sent upstream. */
  items: Item[];
  /** What this turn adds (stored with it). */
  newItems: Item[];
  parentId: string | null;
  sessionId: string;
}

/** Prior turns, the new input with its references resolved, instructions carried forward, truncation. */
async function resolveTurn(context: ServerContext, request: DecodedResponsesRequest): Promise<Turn> {
  const { settings } = request;
  let prior: Item[] = request.history ?? [];
  let parentId: string | null = null;
  let sessionId: string | undefined;
  if (!request.history) {
    const from = settings.previous_response_id ?? (request.conversation ? await context.conversations.latest(request.conversation) : null);
    if (from) {
      const chain = await context.responses.history(from);
      if (chain) {
        prior = chain.items;
        parentId = from;
        sessionId = chain.record.sessionId;
        settings.instructions ??= chain.record.response.settings.instructions ?? null;
      } else if (settings.previous_response_id) {
        throw new HermesError(`Previous response not found: ${from}`, { status: 404, code: "previous_response_not_found", param: "previous_response_id" });
      }
    }
  }
  const newItems = request.input.map((item) => resolveReference(item, prior));
  const all = [...prior, ...newItems];
  return {
    items: settings.truncation === "auto" ? truncateHistory(all, context.config.agent.contextTokens) : all,
    newItems,
    parentId,
    sessionId: sessionId ?? randomId("sess_"),
  };
}

function resolveReference(item: Item | ItemReference, prior: readonly Item[]): Item {
  if (item.type !== "item_reference") return item;
  const found = prior.find((candidate) => candidate.id === item.id);
  if (!found) throw new HermesError(`Item not found: ${item.id}`, { status: 400, code: "item_not_found", param: "input" });
  return found;
}
