import { toolsForRun } from "../../agent/tools.ts";
import type { Item, RunInput } from "../../protocol/index.ts";
import type { RunRecord } from "../../state/runs.ts";
import type { DecodedRunRequest } from "../../wire/runs/index.ts";
import type { RuntimeContext } from "../context.ts";
import { chooseModel } from "../model.ts";
import { joinSession, recordRunOnSession } from "../runs/run-session.ts";

/**
 * A `POST /v1/runs` request, checked at once (model, client tools: a 400 now, not a run that fails
 * later) and returned as the function that starts its detached run: its history (the session's, else
 * `conversation_history`, else `previous_response_id`'s chain), instructions, and the session it records on.
 */
export function prepareApiRun(
  context: RuntimeContext,
  request: DecodedRunRequest,
  requestId: string | undefined,
  sessionKey?: string,
): () => Promise<RunRecord> {
  const { config, upstream, registry, runs } = context;
  const model = chooseModel(config, upstream, request.model);
  toolsForRun(registry, request.tools);
  return async () => {
    // `conversation_history` wins over `previous_response_id`, as on the original server.
    const previous = !request.history && request.previousResponseId ? await loadPreviousResponse(context, request.previousResponseId) : undefined;
    const instructions = [config.agent.systemPrompt, request.instructions].filter(Boolean).join("\n\n");
    const sessionId = request.sessionId ?? previous?.sessionId;
    const session = await joinSession(context.sessions, sessionId, request.history ?? previous?.items);
    const input: RunInput = {
      model: model.upstream,
      items: [...session.history, ...request.input],
      tools: request.tools,
      ...(instructions && { instructions }),
    };
    const newItems = session.continues ? request.input : input.items;
    const beforeCompleted = recordRunOnSession(context.sessions, { sessionId, source: "runs", model: model.reported, newItems });
    return runs.start(input, { sessionId, model: model.reported, requestId, sessionKey, hooks: { beforeCompleted } });
  };
}

/**
 * The one place a run reads a stored response: its history and session. An unknown id is ignored, as
 * the original server's Runs API ignores it (`/v1/responses` answers 404 instead).
 */
async function loadPreviousResponse(context: RuntimeContext, id: string): Promise<{ items: Item[]; sessionId: string } | undefined> {
  const chain = await context.responses.history(id);
  return chain ? { items: chain.items, sessionId: chain.record.sessionId } : undefined;
}
