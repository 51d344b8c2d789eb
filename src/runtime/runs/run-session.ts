import type { Item } from "../../protocol/index.ts";
import type { SessionSource, SessionStore } from "../../state/sessions.ts";
import { outputToItems, type RunResult } from "../../protocol/index.ts";

/**
 * How a run joins its session. A run on an existing session continues it: the session's history goes
 * upstream unless the request brought its own (`conversation_history`, `previous_response_id`), and
 * only what the run adds is appended. A run that starts a session records everything it was given.
 */
export async function joinSession(
  sessions: SessionStore,
  sessionId: string | undefined,
  supplied: Item[] | undefined,
): Promise<{ history: Item[]; continues: boolean }> {
  if (sessionId === undefined) return { history: supplied ?? [], continues: false };
  if (supplied) return { history: supplied, continues: (await sessions.get(sessionId)) !== null };
  const stored = await sessions.history(sessionId);
  return { history: stored ?? [], continues: stored !== null };
}

/**
 * Records a completed run on its session (the run's id when it named none) before its terminal event
 * goes out, so a client that sees `run.completed` and starts the next run on the session finds it.
 * Rejects when the session cannot be written: the run then ends failed (`storage_unavailable`), not
 * completed with a turn its session never got.
 */
export function recordRunOnSession(
  sessions: SessionStore,
  settings: { sessionId: string | undefined; source: SessionSource; model: string; newItems: readonly Item[] },
): (result: RunResult) => Promise<void> {
  return async (result) => {
    const messages = { append: [...settings.newItems, ...outputToItems(result.output)] };
    await sessions.recordTurn(settings.sessionId ?? result.runId, { source: settings.source, model: settings.model, usage: result.usage, messages });
  };
}
