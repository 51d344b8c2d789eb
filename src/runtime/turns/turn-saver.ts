import type { ResponseStore, StoredResponse } from "../../state/responses.ts";
import type { SessionStore } from "../../state/sessions.ts";
import { type CompactResponse, compactResponse, type ResponseObject } from "../../wire/responses/index.ts";
import type { Turn } from "./resolve-turn.ts";
import { logger } from "../../utils/logger.ts";

export interface TurnSaver {
  /** Stores a snapshot (queued, in progress); ignored once the final one is stored. */
  progress(response: ResponseObject): Promise<void>;
  /** Stores the final response and moves the conversation name to it (completed or incomplete only). Once. */
  final(response: ResponseObject): Promise<void>;
  /** The turn ends without a response worth keeping (it failed before answering): lets the conversation go. */
  abandon(): Promise<void>;
  readonly finished: boolean;
}

/**
 * Stores a turn's snapshots one after another (a late in-progress write never lands over the final
 * one), then the final response, and only then releases the conversation name — so a client that
 * reads the terminal event and chains at once always finds the stored turn.
 */
export function createTurnSaver(
  responses: ResponseStore,
  turn: Turn,
  options: { store: boolean; conversation: string | undefined; owner?: string; requestId?: string | undefined; sessions?: SessionStore },
): TurnSaver {
  let saving = Promise.resolve();
  let finished: Promise<void> | undefined;
  const record = (response: ResponseObject, compact: CompactResponse): StoredResponse => {
    const stored: StoredResponse = { response: compact, input: turn.newItems, parentId: turn.parentId, sessionId: turn.sessionId };
    if (options.conversation) stored.conversation = options.conversation;
    if (options.requestId) stored.requestId = options.requestId;
    if (options.owner && (response.status === "queued" || response.status === "in_progress")) stored.owner = options.owner;
    return stored;
  };
  const write = (response: ResponseObject, compact = compactResponse(response)) => {
    if (!options.store) return saving;
    saving = saving
      .then(() => responses.save(record(response, compact)))
      .catch((error: unknown) => logger.error("storing a response failed:", error));
    return saving;
  };
  /** The session now follows this response's chain: one metadata update, its history stays in the response store. */
  const recordSession = async (compact: CompactResponse) => {
    const chain = [...(turn.parentId ? turn.prior : []), ...turn.newItems, ...compact.output];
    await options.sessions
      ?.recordTurn(turn.sessionId, { source: "responses", model: compact.model, usage: compact.usage, messages: { head: compact.id, chain } })
      .catch((error: unknown) => logger.error("recording a session failed:", error));
  };
  const release = async (responseId: string | null) => {
    await turn.claim?.finish(responseId).catch((error: unknown) => logger.error("releasing a conversation failed:", error));
  };
  return {
    get finished() {
      return finished !== undefined;
    },
    progress: (response) => (finished ? Promise.resolve() : write(response)),
    final: (response) =>
      (finished ??= (async () => {
        const compact = compactResponse(response);
        await write(response, compact);
        const advance = options.store && (response.status === "completed" || response.status === "incomplete");
        if (advance) await recordSession(compact);
        await release(advance ? response.id : null);
      })()),
    abandon: () => (finished ??= release(null)),
  };
}
