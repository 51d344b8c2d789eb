import { HermesError } from "../../protocol/index.ts";
import type { ResponseStore, StoredResponse } from "../../state/responses.ts";
import type { SessionStore } from "../../state/sessions.ts";
import { describeError, loggable, storageUnavailable } from "../../state/storage-guard.ts";
import { type CompactResponse, compactResponse, type ResponseObject } from "../../wire/responses/index.ts";
import type { Turn } from "./resolve-turn.ts";
import { logger } from "../../utils/logger.ts";

export interface TurnSaver {
  /**
   * Stores a snapshot (queued, in progress) after the ones before it; ignored once the final one is
   * on its way. Rejects with 503 `storage_unavailable` when it could not be stored: a caller that
   * acknowledges the snapshot (a background response's `queued` reply) fails with it, one that does
   * not (a stream's `in_progress`) lets it go.
   */
  progress(response: ResponseObject): Promise<void>;
  /**
   * Stores the final response and adds its input and output items to its conversation (completed or
   * incomplete only). Once. Rejects — and the turn must then not be acknowledged — with 503
   * `storage_unavailable` when the response or the conversation's items could not be written, or 409
   * `conversation_conflict` when the turn lost its hold on the conversation meanwhile. A response that
   * may have been stored in part is then overwritten, as soon as the storage takes it, by a `failed`
   * record saying why.
   */
  final(response: ResponseObject): Promise<void>;
  /** The turn ends without a response worth keeping (it failed before answering): lets the conversation go. */
  abandon(): Promise<void>;
  readonly finished: boolean;
}

export interface TurnSaverOptions {
  store: boolean;
  conversation: string | undefined;
  owner?: string;
  requestId?: string | undefined;
  sessions?: SessionStore;
  /** Retries a write in the background until the storage takes it (`StorageHealth.whenBack`); without it, one try. */
  settleLater?: (label: string, task: () => Promise<void>) => void;
}

/**
 * Stores a turn's snapshots one after another (a late in-progress write never lands over the final
 * one), then the final response, then its items in its conversation, and only then releases the
 * conversation — so a client that reads the terminal event and continues at once always finds the
 * stored turn, and a turn the storage could not take is never reported as done.
 */
export function createTurnSaver(responses: ResponseStore, turn: Turn, options: TurnSaverOptions): TurnSaver {
  let saving: Promise<void> = Promise.resolve();
  let finished: Promise<void> | undefined;
  const record = (response: ResponseObject, compact: CompactResponse): StoredResponse => {
    const stored: StoredResponse = { response: compact, input: turn.newItems, parentId: turn.parentId, sessionId: turn.sessionId };
    if (turn.claim) Object.assign(stored, { conversation: turn.claim.conversation.id, conversationAt: turn.claim.length });
    if (options.requestId) stored.requestId = options.requestId;
    if (options.owner && (response.status === "queued" || response.status === "in_progress")) stored.owner = options.owner;
    return stored;
  };
  /** One write, in order after the ones before it; its own promise rejects, the chain goes on. */
  const write = (response: ResponseObject, compact = compactResponse(response)): Promise<void> => {
    if (!options.store) return saving;
    const written = saving.then(() => responses.save(record(response, compact)));
    saving = written.catch(() => undefined);
    return written;
  };
  /**
   * What the client was told instead (503, `response.failed`), stored once the storage is back: a
   * snapshot or a final record that did land must not say `in_progress` or `completed` for ever.
   */
  const settleAsFailed = (response: ResponseObject, first?: () => Promise<void>) => {
    if (!options.store) return;
    const failed: ResponseObject = {
      ...response,
      status: "failed",
      error: { code: "storage_unavailable", message: "The response could not be stored" },
      incomplete_details: null,
    };
    const stored = record(failed, compactResponse(failed));
    const task = async () => {
      await first?.();
      await responses.save(stored);
    };
    if (options.settleLater) options.settleLater(`storing response ${response.id} as failed`, task);
    else task().catch((error: unknown) => logger.error(`storing response ${response.id} as failed failed:`, loggable(error)));
  };
  /** The session now follows this response's chain: one metadata update, its history stays in the response store. */
  const recordSession = async (compact: CompactResponse) => {
    const chain = [...(turn.parentId || turn.claim ? turn.prior : []), ...turn.newItems, ...compact.output];
    await options.sessions
      ?.recordTurn(turn.sessionId, { source: "responses", model: compact.model, usage: compact.usage, messages: { head: compact.id, chain } })
      // Bookkeeping for `/api/sessions`: the chain itself is stored, and `previous_response_id` reads it.
      .catch((error: unknown) => logger.error("recording a session failed:", loggable(error)));
  };
  /**
   * Lets the conversation go without moving it. One the storage did not take is let go once it is back
   * (or when its lease lapses, whichever comes first): the next turn is not refused for longer.
   */
  const release = async () => {
    const claim = turn.claim;
    if (!claim) return;
    await claim.finish(null).catch((error: unknown) => {
      logger.error("releasing a conversation failed:", loggable(error));
      options.settleLater?.(`releasing conversation "${options.conversation}"`, async () => void (await claim.finish(null)));
    });
  };
  const final = async (response: ResponseObject) => {
    const compact = compactResponse(response);
    const advance = options.store && (response.status === "completed" || response.status === "incomplete");
    try {
      await write(response, compact);
    } catch (error) {
      await release();
      settleAsFailed(response);
      throw HermesError.is(error) ? error : storageUnavailable(error);
    }
    if (!advance) return release();
    // Before the conversation is released: the next turn on it records its session after this one.
    await recordSession(compact);
    if (!turn.claim) return;
    let kept: boolean;
    const claim = turn.claim;
    try {
      kept = await claim.finish({ response: response.id, items: [...turn.newItems, ...compact.output] });
    } catch (error) {
      // The items may have been added all the same (a reply lost, not the write): taken back first,
      // then the conversation is let go (not held until its lease lapses).
      settleAsFailed(response, async () => {
        await claim.undo(response.id);
        await claim.finish(null);
      });
      throw HermesError.is(error) ? error : storageUnavailable(error);
    }
    if (!kept) {
      settleAsFailed(response);
      throw new HermesError(`The turn lost its hold on conversation "${options.conversation}" before it was stored; its items were not added. Retry it`, {
        status: 409,
        code: "conversation_conflict",
        param: "conversation",
        headers: { "retry-after": "1" },
      });
    }
  };
  return {
    get finished() {
      return finished !== undefined;
    },
    progress: (response) => (finished ? Promise.resolve() : write(response)),
    final: (response) =>
      (finished ??= final(response).catch((error: unknown) => {
        logger.error(`storing response ${response.id} failed; the client is told it failed:`, describeError(error));
        throw error;
      })),
    // After `final`, nothing left to let go (and its failure is the caller of `final`'s to answer).
    abandon: () => (finished ? finished.catch(() => undefined) : (finished = release())),
  };
}
