import type { Storage } from "unstorage";
import type { HermesConfig } from "../config/schema.ts";
import type { StorageCoordination } from "../plugin-api/index.ts";
import { createConversationStore } from "./conversations.ts";
import { createIdempotencyStore } from "./idempotency.ts";
import { createItemIndex } from "./item-index.ts";
import { indexes, keys } from "./keys.ts";
import { isObject } from "./records.ts";
import { createResponseStore } from "./responses.ts";
import { abandonedAfterMs, createRunStore } from "./runs.ts";
import { createSessionStore } from "./sessions.ts";
import { createUnfinishedMarks } from "./unfinished.ts";

/**
 * Every store, on one storage and one coordination. `markUnfinished`: the storage is durable and one
 * process owns it (fs, SQLite), so live work is marked for the next start to settle (`unfinished.ts`).
 * `settleLater` retries a write once the storage is back.
 */
export function createStores(
  storage: Storage,
  coordination: StorageCoordination,
  config: HermesConfig,
  options: { markUnfinished?: boolean; settleLater?: (label: string, task: () => Promise<void>) => void } = {},
) {
  const { retention } = config;
  const items = createItemIndex(storage);
  const conversations = createConversationStore(storage, {
    coordination,
    retention: retention.conversations,
    items,
    settleLater: options.settleLater,
    // Called on a turn, once `responses` exists.
    legacyChain: async (responseId) => {
      const chain = await responses.history(responseId);
      return chain && { items: chain.items, sessionId: chain.record.sessionId };
    },
  });
  const responses = createResponseStore(storage, { coordination, retention: retention.responses, items, conversationItems: conversations.itemsThrough });
  return {
    items,
    responses,
    conversations,
    sessions: createSessionStore(storage, { coordination, retention: retention.sessions, responses }),
    idempotency: createIdempotencyStore(storage, { coordination, retention: retention.idempotency, settleLater: options.settleLater }),
    runs: createRunStore(storage, { coordination, retentionMs: config.agent.runRetentionMs, maxEntries: retention.runs.maxEntries }),
    unfinished: createUnfinishedMarks(storage, options.markUnfinished === true),
  };
}

export type Stores = ReturnType<typeof createStores>;

/** Records read per round trip while rebuilding. */
const batch = 200;

/**
 * For a durable storage coordinated in process (fs, SQLite): the eviction indexes live in memory, so
 * after a restart they are rebuilt once from what is stored, in the background, deleting what expired
 * meanwhile. One read per record, once per start; Redis keeps its indexes and never needs this.
 */
export async function rebuildIndexes(storage: Storage, coordination: StorageCoordination, config: HermesConfig, stores: Stores): Promise<void> {
  const now = Date.now();
  const { retention } = config;
  const plain = (ttlMs: number) => (value: Record<string, unknown>) => (typeof value.expiresAt === "number" ? value.expiresAt : now + ttlMs);
  const targets = [
    { prefix: keys.responses(), index: indexes.responses, maxEntries: retention.responses.maxEntries, expiry: plain(retention.responses.ttlMs) },
    {
      prefix: keys.conversations(),
      index: indexes.conversations,
      maxEntries: retention.conversations.maxEntries,
      expiry: plain(retention.conversations.ttlMs),
    },
    { prefix: keys.sessions(), index: indexes.sessions, maxEntries: retention.sessions.maxEntries, expiry: plain(retention.sessions.ttlMs) },
    { prefix: keys.idempotencies(), index: indexes.idempotency, maxEntries: retention.idempotency.maxEntries, expiry: plain(retention.idempotency.ttlMs) },
    {
      prefix: keys.runs(),
      index: indexes.runs,
      maxEntries: retention.runs.maxEntries,
      expiry: (value: Record<string, unknown>) =>
        typeof value.expiresAt === "number" ? value.expiresAt : Number(value.updatedAt ?? 0) * 1000 + abandonedAfterMs,
    },
  ];
  for (const target of targets) {
    const found: { key: string; expiresAt: number }[] = [];
    const all = await storage.getKeys(target.prefix);
    for (let start = 0; start < all.length; start += batch) {
      for (const { key, value } of await storage.getItems(all.slice(start, start + batch)))
        found.push({ key, expiresAt: isObject(value) ? target.expiry(value) : 0 });
    }
    // Oldest first, as the live index orders them, so the size bound drops the oldest.
    found.sort((a, b) => a.expiresAt - b.expiresAt);
    const evicted: string[] = [];
    for (const { key, expiresAt } of found) evicted.push(...(await coordination.track(target.index, key, expiresAt, target.maxEntries)));
    for (const key of evicted) {
      if (target.index === indexes.runs) await stores.runs.removeAt(key);
      else if (target.index === indexes.sessions) await stores.sessions.removeAt(key);
      else if (target.index === indexes.responses) await stores.responses.removeAt(key);
      else if (target.index === indexes.conversations) await stores.conversations.removeAt(key);
      else await storage.removeItem(key);
    }
  }
}
