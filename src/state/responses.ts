import type { Storage, StorageValue } from "unstorage";
import { HermesError, type Item, type Usage } from "../protocol/index.ts";
import type { StorageCoordination } from "../plugin-api/index.ts";
import { expired, isObject, storageTtl, unreadable } from "./records.ts";
import { channels, indexes, keys } from "./keys.ts";
import { approximateBytes, RecordCache } from "../utils/index.ts";
import { createRetention, type RetentionPolicy } from "./retention.ts";
import { indexEntries, type ItemIndex, responseNamedBy } from "./item-index.ts";

/** The statuses a stored response can have: the Responses API's. */
export type ResponseRecordStatus = "queued" | "in_progress" | "completed" | "incomplete" | "failed" | "cancelled";

/**
 * A Response object as storage keeps it (the Responses codec compacts and expands it): protocol items
 * instead of wire items, usage without zeroed details, and only the request settings that differ from
 * their defaults, which storage keeps without reading them.
 */
export interface ResponseRecord {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  status: ResponseRecordStatus;
  model: string;
  output: Item[];
  usage?: Usage;
  error?: { code: string; message: string };
  incompleteReason?: string;
  /** `instructions` is read back: a chained turn carries it forward. */
  settings: Readonly<Record<string, unknown>> & { instructions?: string | null };
}

/**
 * A stored response holds only what its own turn added — its new input items and the response (whose
 * `output` is the turn's output), compacted — plus its parent's id. History is rebuilt by walking the
 * parents, so storage grows linearly with a conversation, never quadratically.
 */
export interface StoredResponse {
  response: ResponseRecord;
  /** This turn's new input, protocol items with ids (what `input_items` lists). */
  input: Item[];
  /** The response this one continues (by `previous_response_id`), if any. */
  parentId: string | null;
  sessionId: string;
  /** The conversation this turn added its items to (they are indexed there, not here). */
  conversation?: string;
  /** The conversation's log length before this turn: its history is that conversation's items up to there. */
  conversationAt?: number;
  /** The `X-Request-Id` of the request that created it, to find its log line. */
  requestId?: string;
  /** The process running it, while a background response runs: where a cancel is sent. */
  owner?: string;
  /** Epoch ms after which it reads as missing. */
  expiresAt?: number;
}

export interface ResponseStoreOptions {
  coordination: StorageCoordination;
  retention: RetentionPolicy;
  /** Where each stored item lives, for `item_reference`: a finished response's items point at it. */
  items: ItemIndex;
  /** A conversation's items up to a position (a conversation turn's history); null when the conversation is gone. */
  conversationItems?: (conversationId: string, through: number) => Promise<Item[] | null>;
  /** Finished records kept in process for chain walks. @default 10_000 */
  cacheEntries?: number;
  /** What those records may weigh together, by `approximateBytes`: long tool outputs must not fill the heap. @default 64 MiB */
  cacheBytes?: number;
  now?: () => number;
}

/** Longest chain walked; deeper ancestors are ignored rather than looping on corrupt data. */
const MAX_CHAIN = 10_000;

/** A finished response never changes again, so a cached copy is as good as the stored one. */
const isFinal = (record: StoredResponse) => record.response.status !== "queued" && record.response.status !== "in_progress";

/**
 * Responses in storage, with an in-process cache of finished records: chaining turn N reads its parent
 * from storage (it may have changed or been deleted since) and its older ancestors from the cache, so
 * the hot path costs one read whatever N is. A cache miss (after a restart, or for turns another
 * process answered) reads the missing ancestors once and keeps them. Deletions are broadcast so that
 * every process drops the record from its cache.
 */
export function createResponseStore(storage: Storage, options: ResponseStoreOptions) {
  const { coordination, items: itemIndex } = options;
  const now = options.now ?? Date.now;
  // Cached by storage key, which is what an eviction names.
  const cache = new RecordCache<StoredResponse>(options.cacheEntries ?? 10_000, { maxBytes: options.cacheBytes ?? 64 * 1024 * 1024, sizeOf: approximateBytes });
  const forget = (key: string) => coordination.publish(channels.responsesDeleted(), key);
  /**
   * The item index entries a record wrote: none for a conversation turn's items (the conversation
   * indexes them), nor for items whose ids name the record (`itemIdsFor`).
   */
  const indexed = (record: StoredResponse) =>
    record.conversation || !isFinal(record)
      ? []
      : [...record.input, ...record.response.output].filter((item) => responseNamedBy(item.id) !== record.response.id);
  /** Deletes the response stored at `key`, with its item index entries; false when nothing was there. */
  const removeAt = async (key: string): Promise<boolean> => {
    const value = await storage.getItem(key);
    if (value === null) return false;
    if (isStoredResponse(value)) {
      const id = value.response.id;
      await itemIndex.forget(
        indexed(value).flatMap((item) => item.id ?? []),
        (location) => "response" in location && location.response === id,
      );
    }
    await storage.removeItem(key);
    cache.delete(key);
    // Every process drops it too: a chain must read the same (broken) way on all of them.
    await forget(key);
    return true;
  };
  const retention = createRetention(coordination, indexes.responses, options.retention, async (evicted) => {
    for (const key of evicted) await removeAt(key);
  });
  const live = (record: StoredResponse) => !expired(record, now());

  /** The record, read from storage; a finished one is cached (`evict: false` for a chain walk's ancestors, see `RecordCache.set`). */
  const get = async (id: string, fill?: { evict: false }): Promise<StoredResponse | null> => {
    const value = await storage.getItem(keys.response(id));
    if (value === null) return null;
    if (!isStoredResponse(value)) return unreadable(keys.response(id));
    if (!live(value)) return null;
    if (isFinal(value)) cache.set(keys.response(id), value, fill);
    return value;
  };
  /** A finished record from the cache, synchronously: a walk over cached ancestors never yields to the event loop. */
  const cached = (id: string) => {
    const hit = cache.get(keys.response(id));
    return hit && live(hit) ? hit : undefined;
  };

  return {
    /** The record, read from storage. Null when unknown, expired or unreadable. */
    get: (id: string) => get(id),
    async save(record: StoredResponse): Promise<void> {
      const { ttlMs } = options.retention;
      const stored: StoredResponse = { ...record, expiresAt: now() + ttlMs };
      const key = keys.response(record.response.id);
      const id = record.response.id;
      // The items are findable by id as soon as the response is acknowledged: indexed in the same batch
      // (one command on Redis, landing whole).
      const batch: { key: string; value: StorageValue }[] = [{ key, value: stored }, ...indexEntries(indexed(stored), () => ({ response: id }))];
      await retention.written(key, stored.expiresAt!, storage.setItems(batch, storageTtl(ttlMs)));
      if (isFinal(stored)) cache.set(key, stored);
      else cache.delete(key);
    },
    async remove(id: string): Promise<boolean> {
      const key = keys.response(id);
      if (!(await removeAt(key))) return false;
      await retention.removed(key);
      return true;
    },
    removeAt,
    /**
     * Everything the chain ending at `id` said, oldest first: each turn's input then its output, after
     * (when the chain starts with a conversation's turn) the conversation's items that turn saw. The
     * record itself comes back too (its instructions and session carry forward). Null when `id` is unknown.
     *
     * @throws {HermesError} 404 `previous_response_not_found` naming the missing ancestor when the chain
     * is broken (an ancestor, or the conversation it started in, was deleted, expired or evicted): a
     * model must never get a shorter history than the client built without a word. Every process reads a broken chain the same way, since
     * deletions and evictions are broadcast to their caches.
     */
    async history(id: string): Promise<{ items: Item[]; record: StoredResponse } | null> {
      const record = await get(id);
      if (!record) return null;
      const turns: StoredResponse[] = [record];
      for (let parent = record.parentId; parent && turns.length < MAX_CHAIN;) {
        const ancestor = cached(parent) ?? (await get(parent, { evict: false }));
        if (!ancestor) throw brokenChain(id, parent);
        turns.push(ancestor);
        parent = ancestor.parentId;
      }
      const items: Item[] = [];
      const root = turns.at(-1)!;
      if (root.conversation && root.conversationAt && options.conversationItems) {
        const before = await options.conversationItems(root.conversation, root.conversationAt);
        if (!before) throw brokenChain(id, root.response.id, `its conversation '${root.conversation}' was deleted or has expired`);
        items.push(...before);
      }
      for (let i = turns.length - 1; i >= 0; i--) {
        const turn = turns[i]!;
        items.push(...turn.input, ...turn.response.output);
      }
      return { items, record };
    },
    /** An item of a stored response's input or output, by id (what the item index points at). Null when either is gone. */
    async item(responseId: string, itemId: string): Promise<Item | null> {
      const record = cached(responseId) ?? (await get(responseId));
      if (!record) return null;
      return record.input.find((item) => item.id === itemId) ?? record.response.output.find((item) => item.id === itemId) ?? null;
    },
    /** Drops responses deleted or evicted by any process from this one's cache; resolves with the unsubscriber. */
    listen(): Promise<() => Promise<void>> {
      // Deletions announced while the bus was down are lost: forget everything, the cache refills on reads.
      return coordination.subscribe(
        channels.responsesDeleted(),
        (key) => cache.delete(key),
        () => cache.clear(),
      );
    },
  };
}

export type ResponseStore = ReturnType<typeof createResponseStore>;

function brokenChain(id: string, missing: string, why = `its earlier response '${missing}' was deleted or has expired`): HermesError {
  return new HermesError(
    `The conversation behind '${id}' is incomplete: ${why}, so its history cannot be rebuilt. Start a new conversation, or send the history with the request.`,
    { status: 404, code: "previous_response_not_found", param: "previous_response_id" },
  );
}

function isStoredResponse(value: unknown): value is StoredResponse {
  if (!isObject(value) || !isObject(value.response)) return false;
  const { response } = value;
  return (
    typeof response.id === "string" &&
    typeof response.status === "string" &&
    Array.isArray(response.output) &&
    Array.isArray(value.input) &&
    (value.parentId === null || typeof value.parentId === "string") &&
    typeof value.sessionId === "string"
  );
}
