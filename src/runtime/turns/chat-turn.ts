import type { Item, RunInput, RunResult } from "../../protocol/index.ts";
import { outputToItems } from "../../protocol/index.ts";
import { randomId } from "../../utils/index.ts";
import { loggable } from "../../state/storage-guard.ts";
import { logger } from "../../utils/logger.ts";
import type { DecodedChatRequest } from "../../wire/chat/index.ts";
import type { RuntimeContext } from "../context.ts";
import type { ClientWatch } from "../lifecycle.ts";
import { chooseModel } from "../model.ts";
import { deriveSessionId, newTurnItems } from "../session-id.ts";
import { startRun, type StartedRun } from "../start-run.ts";
import { restoreServerCalls } from "./server-calls.ts";

/** A Chat Completions turn, resolved: its session and history, ready to run and then to be saved. */
export interface ChatTurn {
  sessionId: string;
  start(client: ClientWatch): StartedRun;
  /** Records the turn on its session once the answer is out; never throws (a failed write is logged). */
  save(result: RunResult): void;
}

/**
 * Chat Completions turns on sessions. A request continues the session it names (`X-Hermes-Session-Id`,
 * whose stored history comes first) or the one derived from its opening (its own messages are the
 * whole history). A session is saved after its answer went out, so a client that sends the next turn
 * at once (or a slow storage) would read the session without that answer: a turn that reads its
 * session's history first waits for the writes under way (`sessions.settled`).
 */
export function createChatTurns(context: RuntimeContext) {
  const { config, upstream, sessions, lifecycle } = context;

  return async function beginChatTurn(
    request: DecodedChatRequest,
    continued: string | undefined,
    requestId: string | undefined,
    sessionKey?: string,
  ): Promise<ChatTurn> {
    const model = chooseModel(config, upstream, request.model);
    let history = request.input.items;
    /** What this turn adds to a continued session; a derived session is replaced by the whole history. */
    let added: Item[] | undefined;
    if (continued) {
      await sessions.settled(continued);
      added = newTurnItems(history);
      history = [...((await sessions.history(continued)) ?? []), ...added];
    }
    const sessionId = continued ?? deriveSessionId(history);
    // A derived session's request is the whole history as the client keeps it; answering tool calls,
    // it lacks the server calls that ran beside them (a continued session's stored history has them).
    if (!continued && history.at(-1)?.type === "function_call_output") {
      await sessions.settled(sessionId);
      const stored = await sessions.history(sessionId);
      if (stored) history = restoreServerCalls(history, stored);
    }
    const input: RunInput = { ...request.input, items: history, model: model.upstream };
    if (config.agent.systemPrompt) input.instructions = config.agent.systemPrompt;

    const start = (client: ClientWatch) =>
      startRun(
        context,
        input,
        {
          runId: randomId("chatcmpl-"),
          model: model.reported,
          createdAt: Math.floor(Date.now() / 1000),
          sessionId,
          requestId,
          sessionKey,
          stream: request.stream,
        },
        client,
      );

    const save = ({ output, usage }: RunResult) => {
      const produced = outputToItems(output);
      const messages = added ? { append: [...added, ...produced] } : { replace: [...history, ...produced] };
      // Held like a run: shutdown waits for the write before it closes the storage.
      const inFlight = lifecycle.hold();
      sessions.recordTurn(sessionId, { source: "chat", model: model.reported, usage, messages }).then(
        () => inFlight.release(),
        (error: unknown) => {
          inFlight.release();
          // Already answered: a session write the storage does not take is logged, the answer stands.
          logger.error(`saving session ${sessionId} failed; the turn is not in it:`, loggable(error));
        },
      );
    };
    return { sessionId, start, save };
  };
}
