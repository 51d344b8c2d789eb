import type { Storage } from "unstorage";
import { HermesError } from "../protocol/index.ts";
import { type StorageCoordination } from "../plugin-api/index.ts";
import { indexes, keys } from "./keys.ts";
import { expired, isObject, unreadable } from "./records.ts";
import { createRetention, type RetentionPolicy } from "./retention.ts";
import { logger } from "../utils/logger.ts";

/** A conversation name's pointer: its latest response, and the turn holding it while one runs. */
interface ConversationRecord {
  responseId: string | null;
  /** The turn in progress: no other may start until it ends or its lease runs out. */
  lease?: { turn: string; until: number };
  expiresAt: number;
}

export interface ConversationStoreOptions {
  coordination: StorageCoordination;
  retention: RetentionPolicy;
  /** How long a turn holds its conversation without renewing (a crashed process holds it no longer). @default 30_000 */
  leaseMs?: number;
  now?: () => number;
}

/** A turn's hold on its conversation: `finish` moves the name to the turn's response (or not) and lets go. */
export interface ConversationClaim {
  /** The response the turn continues: the name's latest when the claim was taken. */
  readonly previous: string | null;
  /** Points the name at `responseId` (null: leave it where it was) and releases it. False when the lease was lost. */
  finish(responseId: string | null): Promise<boolean>;
  /**
   * After a `finish(responseId)` that failed but may have landed (its reply was lost): points the name
   * back at `previous` if it still points at `responseId`, so a turn the client was told failed does not
   * stay in the conversation.
   */
  undo(responseId: string): Promise<void>;
}

/**
 * Named conversations: each name points at its latest stored response. Two turns may not advance one
 * name at once: a turn claims the name with a compare-and-set before it runs (renewing the lease while
 * it runs) and the second turn gets 409 `conversation_conflict` at once, before any upstream call —
 * never a silently forked or lost turn. The claim is released when the turn is stored.
 */
export function createConversationStore(storage: Storage, options: ConversationStoreOptions) {
  const { coordination } = options;
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const { ttlMs } = options.retention;
  const retention = createRetention(coordination, indexes.conversations, options.retention, async (evicted) => {
    for (const key of evicted) await storage.removeItem(key);
  });

  const read = (key: string, value: ConversationRecord | null): ConversationRecord | null => {
    if (value === null) return null;
    if (!isConversation(value)) return unreadable(key);
    return expired(value, now()) ? null : value;
  };
  const update = (name: string, change: (current: ConversationRecord | null) => ConversationRecord | null | undefined) => {
    const key = keys.conversation(name);
    return coordination.update<ConversationRecord>(key, (current) => change(read(key, current)), { ttlMs });
  };
  const held = (record: ConversationRecord | null, turn: string) => record?.lease?.turn === turn;

  return {
    async latest(name: string): Promise<string | null> {
      const key = keys.conversation(name);
      return read(key, await storage.getItem<ConversationRecord>(key))?.responseId ?? null;
    },

    /**
     * Claims the name for `turn` (the new response's id).
     * @throws {HermesError} 409 `conversation_conflict` while another turn holds it.
     */
    async claim(name: string, turn: string): Promise<ConversationClaim> {
      const claimed = await update(name, (current) => {
        if (current?.lease && current.lease.turn !== turn && current.lease.until > now()) return undefined;
        return { responseId: current?.responseId ?? null, lease: { turn, until: now() + leaseMs }, expiresAt: now() + ttlMs };
      });
      if (!held(claimed, turn))
        throw new HermesError(`Another response is in progress on conversation "${name}"; retry once it has finished`, {
          status: 409,
          code: "conversation_conflict",
          param: "conversation",
          // A turn holds its name for the length of one answer: worth trying again soon.
          headers: { "retry-after": "1" },
        });
      const renewal = setInterval(() => {
        update(name, (current) => (held(current, turn) ? { ...current!, lease: { turn, until: now() + leaseMs } } : undefined)).catch(
          (error: unknown) => logger.error("renewing a conversation lease failed:", error),
        );
      }, leaseMs / 3);
      renewal.unref();
      let finished: Promise<boolean> | undefined;
      return {
        previous: claimed?.responseId ?? null,
        undo: async (responseId) => {
          const previous = claimed?.responseId ?? null;
          await update(name, (current) => (current?.responseId === responseId ? { ...current, responseId: previous, expiresAt: now() + ttlMs } : undefined));
        },
        finish: (responseId) => {
          const attempt = (finished ??= (async () => {
            clearInterval(renewal);
            const after = await update(name, (current) =>
              held(current, turn) ? { responseId: responseId ?? current!.responseId, expiresAt: now() + ttlMs } : undefined,
            );
            const kept = after !== null && after.lease === undefined && (responseId === null || after.responseId === responseId);
            // The name has moved: indexing it for eviction is housekeeping, not part of the turn.
            if (kept)
              await retention.written(keys.conversation(name), after.expiresAt).catch((error: unknown) => logger.error(`indexing conversation "${name}" failed:`, error));
            else if (responseId !== null) logger.warn(`conversation "${name}": the turn lost its lease before it was stored; the name was not advanced`);
            return kept;
          })());
          // One the storage did not take may be tried again (meanwhile its lease lapses by itself).
          attempt.catch(() => {
            if (finished === attempt) finished = undefined;
          });
          return attempt;
        },
      };
    },

    /** Unlinks the name if it still points at `responseId` (a deleted response ends its conversation). */
    async unlink(name: string, responseId: string): Promise<void> {
      await update(name, (current) => {
        if (current?.responseId !== responseId) return undefined;
        return current.lease ? { ...current, responseId: null } : null;
      });
    },
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

function isConversation(value: unknown): value is ConversationRecord {
  return isObject(value) && (value.responseId === null || typeof value.responseId === "string");
}
