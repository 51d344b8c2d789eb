import type { H3Event } from "h3";
import { FastResponse } from "srvx";
import { runAgent } from "../../agent/loop.ts";
import { type Item, randomId, type RunInput } from "../../protocol/index.ts";
import { ChatStreamEncoder, decodeChatRequest, encodeChatCompletion } from "../../wire/chat/index.ts";
import { outputToItems, RunCollector, type RunResult } from "../../wire/collect.ts";
import { readJsonBody } from "../body.ts";
import type { ServerContext } from "../context.ts";
import { idempotencyKey } from "../idempotency-key.ts";
import { chooseModel } from "../model.ts";
import { peekBatches } from "../peek-run.ts";
import { requestIdOf } from "../request-id.ts";
import { deriveSessionId, newTurnItems, requestedSessionId } from "../session-id.ts";
import { sseResponse } from "../sse-response.ts";

const jsonHeaders = { "content-type": "application/json; charset=utf-8" };

/** `POST /v1/chat/completions`: decode → resolve the session → run → encode, streamed or as one body. */
export function createChatCompletionsHandler(context: ServerContext) {
  const { config, upstream, sessions, lifecycle } = context;
  /**
   * Session writes still in flight, by session id. A session is saved after its answer went out, so
   * a client that sends the next turn at once (or a slow storage) would read the session without
   * that answer; a continuation waits for its session's write first.
   */
  const saving = new Map<string, Promise<void>>();

  return async (event: H3Event) => {
    const { json, text } = await readJsonBody(event, config.server.bodyLimit);
    const request = decodeChatRequest(json);
    const continued = requestedSessionId(event, Boolean(config.server.apiKey));
    const model = chooseModel(config, upstream, request.model);

    let history = request.input.items;
    /** What this turn adds to a continued session; a derived session is replaced by the whole history. */
    let added: Item[] | undefined;
    if (continued) {
      await saving.get(continued);
      added = newTurnItems(history);
      history = [...((await sessions.history(continued)) ?? []), ...added];
    }
    const sessionId = continued ?? deriveSessionId(history);
    const input: RunInput = { ...request.input, items: history, model: model.upstream };
    if (config.agent.systemPrompt) input.instructions = config.agent.systemPrompt;
    const headers = { "x-hermes-session-id": sessionId };

    const start = () => {
      const run = lifecycle.runSignal(event);
      const batches = runAgent(input, {
        upstream,
        runId: randomId("chatcmpl-"),
        model: model.reported,
        createdAt: Math.floor(Date.now() / 1000),
        signal: run.signal,
        maxIterations: config.agent.maxIterations,
        registry: context.registry,
        sessionId,
        toolTimeoutMs: config.agent.toolTimeoutMs,
        requestId: requestIdOf(event),
      });
      return { batches, release: run.release };
    };

    const saveSession = ({ output, usage }: RunResult) => {
      const produced = outputToItems(output);
      const messages = added ? { append: [...added, ...produced] } : { replace: [...history, ...produced] };
      // Held like a run: shutdown waits for the write before it closes the storage.
      const inFlight = lifecycle.hold();
      const written: Promise<void> = sessions
        .recordTurn(sessionId, { source: "chat", model: model.reported, usage, messages })
        .then(() => undefined)
        .catch((error) => console.error("[hermes-proxy] saving session failed:", error))
        .finally(() => {
          inFlight.release();
          if (saving.get(sessionId) === written) saving.delete(sessionId);
        });
      saving.set(sessionId, written);
    };

    if (request.stream) {
      const { batches, release } = start();
      let buffered;
      try {
        buffered = await peekBatches(batches);
      } catch (error) {
        release();
        throw error;
      }
      const collector = new RunCollector();
      return sseResponse({
        buffered,
        events: batches,
        encoder: new ChatStreamEncoder({ includeUsage: request.includeUsage }),
        headers,
        keepaliveMs: config.server.keepaliveMs,
        onEvent: (event) => collector.add(event),
        onClose: () => {
          release();
          const { status } = collector.result;
          if (status !== "failed" && status !== "in_progress") saveSession(collector.result);
        },
      });
    }

    const complete = async () => {
      const { batches, release } = start();
      const collector = new RunCollector();
      try {
        for await (const batch of batches) for (const runEvent of batch) collector.add(runEvent);
      } finally {
        release();
      }
      const body = encodeChatCompletion(collector.result);
      saveSession(collector.result);
      return { status: 200, body, headers };
    };

    const key = idempotencyKey(event);
    const reply = key ? await context.idempotency.run("chat", key, text, complete) : { ...(await complete()), replayed: false };
    // srvx writes a FastResponse straight to Node's response; h3's HTTPResponse would build web Headers for it.
    return new FastResponse(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { ...jsonHeaders, ...reply.headers, ...(reply.replayed && { "idempotency-replayed": "true" }) },
    });
  };
}

