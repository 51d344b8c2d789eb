import type { H3Event } from "h3";
import { HTTPResponse } from "h3";
import { runAgent } from "../../agent/loop.ts";
import { randomId, type RunInput } from "../../protocol/index.ts";
import { ChatStreamEncoder, decodeChatRequest, encodeChatCompletion } from "../../wire/chat/index.ts";
import { type OutputItem, outputToItems, RunCollector } from "../../wire/collect.ts";
import { readJsonBody } from "../body.ts";
import type { ServerContext } from "../context.ts";
import { idempotencyKey } from "../idempotency-key.ts";
import { chooseModel } from "../model.ts";
import { peekRun } from "../peek-run.ts";
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
    if (continued) {
      await saving.get(continued);
      history = [...((await sessions.get(continued))?.items ?? []), ...newTurnItems(history)];
    }
    const sessionId = continued ?? deriveSessionId(history);
    const input: RunInput = { ...request.input, items: history, model: model.upstream };
    if (config.agent.systemPrompt) input.instructions = config.agent.systemPrompt;
    const headers = { "x-hermes-session-id": sessionId };

    const start = () => {
      const run = lifecycle.runSignal(event.req.signal);
      const events = runAgent(input, {
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
      return { events, release: run.release };
    };

    const saveSession = (output: readonly OutputItem[]) => {
      const written: Promise<void> = sessions
        .save(sessionId, [...history, ...outputToItems(output)])
        .catch((error) => console.error("[hermes-proxy] saving session failed:", error))
        .finally(() => {
          if (saving.get(sessionId) === written) saving.delete(sessionId);
        });
      saving.set(sessionId, written);
    };

    if (request.stream) {
      const { events, release } = start();
      const iterator = events[Symbol.asyncIterator]();
      let buffered;
      try {
        buffered = await peekRun(iterator);
      } catch (error) {
        release();
        throw error;
      }
      const collector = new RunCollector();
      return sseResponse({
        buffered,
        events: iterator,
        encoder: new ChatStreamEncoder({ includeUsage: request.includeUsage }),
        headers,
        keepaliveMs: config.server.keepaliveMs,
        onEvent: (event) => collector.add(event),
        onClose: () => {
          release();
          const { status, output } = collector.result;
          if (status !== "failed" && status !== "in_progress") saveSession(output);
        },
      });
    }

    const complete = async () => {
      const { events, release } = start();
      const collector = new RunCollector();
      try {
        for await (const runEvent of events) collector.add(runEvent);
      } finally {
        release();
      }
      const body = encodeChatCompletion(collector.result);
      saveSession(collector.result.output);
      return { status: 200, body, headers };
    };

    const key = idempotencyKey(event);
    const reply = key ? await context.idempotency.run("chat", key, text, complete) : { ...(await complete()), replayed: false };
    return new HTTPResponse(JSON.stringify(reply.body), {
      status: reply.status,
      headers: { ...jsonHeaders, ...reply.headers, ...(reply.replayed && { "idempotency-replayed": "true" }) },
    });
  };
}

