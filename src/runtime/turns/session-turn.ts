import { HermesError, type RunInput } from "../../protocol/index.ts";
import type { RunRecord } from "../../state/runs.ts";
import { sessionNotFound } from "../../state/sessions.ts";
import type { DecodedSessionChat } from "../../wire/sessions/index.ts";
import type { RuntimeContext } from "../context.ts";
import { chooseModel } from "../model.ts";
import { recordRunOnSession } from "../runs/run-session.ts";
import { RunCollector } from "../collect.ts";
import { EventQueue } from "../event-queue.ts";

/**
 * One chat turn on a session, started as a Runs API run (so `/v1/runs/{run_id}` shows its status and
 * events, and stops it): the session's history plus the new message go upstream, the registry's
 * server tools apply, and the turn is recorded on the session before its terminal event goes out.
 * The route reads the run's events from the returned queue.
 */
export async function startSessionTurn(
  context: RuntimeContext,
  sessionId: string,
  request: DecodedSessionChat,
  requestId: string | undefined,
  sessionKey?: string,
) {
  const { config, upstream, sessions, runs } = context;
  const loaded = await sessions.load(sessionId);
  if (!loaded) throw sessionNotFound(sessionId);
  const { record: session, items: history } = loaded;
  const model = chooseModel(config, upstream, request.model ?? session.model ?? undefined);
  const instructions = [config.agent.systemPrompt, session.systemPrompt, request.instructions].filter(Boolean).join("\n\n");
  const input: RunInput = { model: model.upstream, items: [...history, request.message], tools: [], ...(instructions && { instructions }) };
  const queue = new EventQueue();
  // The run's one fold: the route reads the turn's answer from it.
  const collector = new RunCollector();
  const beforeCompleted = recordRunOnSession(sessions, { sessionId, source: "api", model: model.reported, newItems: [request.message] });
  const record = await runs.start(input, {
    sessionId,
    model: model.reported,
    requestId,
    sessionKey,
    hooks: { beforeCompleted, collector, onEvent: (runEvent) => queue.push(runEvent) },
    onEnd: (ended) => {
      // A run stopped before it started has no events: its end still has to reach the client.
      if (!queue.sawTerminal) {
        const standIn = { type: "run.failed", error: stoppedBeforeStart(ended) } as const;
        collector.add(standIn);
        queue.push(standIn);
      }
      queue.end();
    },
  });
  return { run: record, queue, result: collector.result, stop: () => void runs.stop(record.id).catch(() => undefined) };
}

function stoppedBeforeStart(record: RunRecord) {
  const error = new HermesError(record.error?.message ?? "The run was stopped before it started", {
    status: record.error ? 502 : 409,
    code: record.error?.code ?? "cancelled",
  });
  return error.toInfo();
}
