import type { RunInput } from "../../protocol/index.ts";
import type { NewId } from "../../utils/index.ts";
import { type DecodedResponsesRequest, pendingResponse, type ResponseMeta, type ResponseObject, ResponsesStreamEncoder } from "../../wire/responses/index.ts";
import type { RuntimeContext } from "../context.ts";
import type { ClientWatch } from "../lifecycle.ts";
import type { ModelChoice } from "../model.ts";
import { startRun, type StartedRun } from "../start-run.ts";
import { planHostedTools } from "../hosted-tools.ts";
import { resolveTurn } from "./resolve-turn.ts";
import { ResponseFold } from "./response-fold.ts";
import { storageUnavailable } from "../../state/storage-guard.ts";
import { logger } from "../../utils/logger.ts";
import { storeBeforeEnd } from "./store-before-end.ts";
import { createTurnSaver, type TurnSaver } from "./turn-saver.ts";

/** A Responses turn, resolved (its chain, claimed conversation, instructions) and ready to run. */
export interface ResponseTurn {
  meta: ResponseMeta;
  saver: TurnSaver;
  sessionId: string;
  /** Hosted tool types left out of the upstream request (`X-Hermes-Dropped-Tools`). */
  droppedTools: string[];
  /** Starts the run and its one fold; the run stops when `client` goes away. */
  start(client: ClientWatch | AbortSignal): StartedRun & { fold: ResponseFold };
}

/**
 * Resolves the history (claiming a conversation name), and prepares the run and the saver. `ids`: the
 * response's id (`resp_…`) and the one generator of its items' ids, which the request was decoded
 * with and the run goes on with (`itemIdsFor`).
 */
export async function beginResponseTurn(
  context: RuntimeContext,
  ids: { response: string; items: NewId },
  request: DecodedResponsesRequest,
  model: ModelChoice,
  requestId: string | undefined,
  sessionKey?: string,
): Promise<ResponseTurn> {
  const { config, storageHealth } = context;
  // A turn to be stored, while the storage is known to be down (and a fresh probe agrees): 503 now,
  // before the model is paid for an answer that could not be kept.
  if (request.settings.store && storageHealth.down && (await storageHealth.check()).status === "down") throw storageUnavailable(storageHealth.state.error);
  const { settings } = request;
  // Before the history is resolved: a refused tool must not hold a conversation name.
  // A tool that can be refused is a top-level hosted tool: the request's own object.
  const hosted = planHostedTools(context, request.run.hostedTools, model.upstream, (tool) => {
    const index = settings.tools.indexOf(tool);
    return index < 0 ? "tools" : `tools[${index}]`;
  });
  const id = ids.response;
  const turn = await resolveTurn(context, request, id, model.contextTokens);
  const meta: ResponseMeta = { id, createdAt: Math.floor(Date.now() / 1000), model: model.reported, settings };
  const input: RunInput = { ...request.run, model: model.upstream, items: turn.items };
  if (hosted.hostedTools === undefined) delete input.hostedTools;
  else input.hostedTools = hosted.hostedTools;
  const instructions = [config.agent.systemPrompt, settings.instructions].filter(Boolean).join("\n\n");
  if (instructions) input.instructions = instructions;
  const saver = createTurnSaver(context.responses, turn, {
    store: settings.store,
    conversation: request.conversation,
    ...(settings.background && { owner: context.commands.instanceId }),
    requestId,
    sessions: context.sessions,
    settleLater: (label, task) => context.storageHealth.whenBack(label, task),
  });
  const start = (client: ClientWatch | AbortSignal) => {
    const run = startRun(
      context,
      input,
      {
        runId: meta.id,
        model: meta.model,
        createdAt: meta.createdAt,
        sessionId: turn.sessionId,
        requestId,
        sessionKey,
        newId: ids.items,
        // A background response is followed (re-attached to) while it runs: its steps stream.
        stream: request.stream || settings.background,
      },
      client,
    );
    return { ...run, fold: new ResponseFold(meta) };
  };
  return { meta, saver, start, sessionId: turn.sessionId, droppedTools: hosted.dropped };
}

/**
 * `background: true`: the run goes on in this process, detached from the request; its frames are kept
 * for re-attachment and its snapshots in storage. Returns the `queued` snapshot, stored before it is returned.
 */
export async function runInBackground(context: RuntimeContext, turn: ResponseTurn): Promise<ResponseObject> {
  const { background } = context;
  const { meta, saver } = turn;
  const controller = new AbortController();
  const queued = pendingResponse(meta, "queued");
  // Marked before it is stored (fs, SQLite): if a crash cuts it off, the next start settles it.
  if (meta.settings.store) await context.unfinished?.mark("responses", meta.id);
  try {
    // The reply names the response: it must be stored before the client is told it exists.
    await saver.progress(queued);
  } catch (error) {
    await saver.abandon();
    throw error;
  }
  const running = background.start(meta.id, controller);
  const { batches, release, fold } = turn.start(controller.signal);
  const encoder = new ResponsesStreamEncoder(meta, () => fold.response());
  // Every end is stored (nothing is answered as an HTTP error any more); a completion that cannot be
  // stored ends `response.failed` for the clients re-attached to the stream.
  const final = () => fold.response(controller.signal.aborted ? { status: "cancelled", reason: "cancelled" } : undefined);
  const held = storeBeforeEnd(batches, fold, () => saver.final(final()));
  held.commit();
  const consume = async () => {
    try {
      for (let next = await held.iterator.next(); !next.done; next = await held.iterator.next())
        for (const runEvent of next.value) {
          // `queued` until the run starts, as its stream's `response.created` says; ordered before the
          // final write by the saver. Not acknowledged by itself, so a failure is only logged.
          if (runEvent.type === "run.started")
            saver.progress(pendingResponse(meta, "in_progress")).catch((error: unknown) => logger.error("storing an in-progress snapshot failed:", error));
          background.push(running, encoder.encode(runEvent));
        }
    } finally {
      release();
      // Already stored when the run reached its end; one cut short is stored here. The mark goes only
      // once the end is stored: a restart still settles one the storage never took.
      const stored = await saver.final(final()).then(
        () => true,
        () => false,
      );
      if (stored && meta.settings.store)
        await context.unfinished?.unmark("responses", meta.id).catch((error: unknown) => logger.error("unmarking a background response failed:", error));
      background.finish(meta.id, running);
    }
  };
  consume().catch((error: unknown) => logger.error(`background response ${meta.id} failed:`, error));
  return queued;
}
