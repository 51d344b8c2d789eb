import type { Storage } from "unstorage";
import { HermesError, type Item } from "../protocol/index.ts";
import { logEntryKey, logLengthKey, type StorageCoordination } from "../plugin-api/index.ts";
import type { ItemIndex } from "./item-index.ts";
import { channels, indexes, keys } from "./keys.ts";
import { approximateBytes, RecordCache } from "../utils/index.ts";
import { expired, isObject, unreadable } from "./records.ts";
import { createRetention, type RetentionPolicy } from "./retention.ts";
import { logger } from "../utils/logger.ts";

/** A conversation: its metadata, and the turn holding it while one runs. Its items live in their own log. */
export interface ConversationRecord {
  id: string;
  /** Unix seconds. */
  createdAt: number;
  metadata: Record<string, string>;
  /** The session its turns are recorded under (`/api/sessions`). */
  sessionId: string;
  /** The turn in progress: no other may start until it ends or its lease runs out. */
  lease?: { turn: string; until: number };
  expiresAt: number;
}

/** One position of a conversation's item log, as stored. */
export interface ConversationEntry {
  item: Item;
  /** The response whose turn added it; none when it was added through the Conversations API. */
  response?: string;
}

/** A conversation item and its position in the log (positions count from 1 and are never reused). */
export interface ConversationItem {
  position: number;
  item: Item;
}

export interface ConversationStoreOptions {
  coordination: StorageCoordination;
  retention: RetentionPolicy;
  /** Where each stored item lives: a conversation's items point at their positions. */
  items: ItemIndex;
  /** How long a turn holds its conversation without renewing (a crashed process holds it no longer). @default 30_000 */
  leaseMs?: number;
  now?: () => number;
  /** Conversation logs kept in process, so that a turn reads only what was appended since. @default 1_000 */
  cacheEntries?: number;
  /** What those logs may weigh together, by `approximateBytes`: a thousand long conversations must not fill the heap. @default 64 MiB */
  cacheBytes?: number;
  /**
   * The history of a conversation name stored by an earlier version (a pointer to its latest response):
   * that response's chain, which becomes the conversation's first items on its next turn.
   */
  legacyChain?: (responseId: string) => Promise<{ items: Item[]; sessionId: string } | null>;
  /** Retries a write once the storage is back (`StorageHealth.whenBack`); without it, the lease lapses by itself. */
  settleLater?: (label: string, task: () => Promise<void>) => void;
}

/** A turn's hold on its conversation: the history it continues, and `finish` to add its items and let go. */
export interface ConversationClaim {
  readonly conversation: ConversationRecord;
  /** The conversation's items when the claim was taken, oldest first: the turn's history. */
  readonly items: readonly Item[];
  /** The log's length when the claim was taken: the turn's history is what is left of positions 1…length. */
  readonly length: number;
  /**
   * Appends the turn's items (tagged with its response; null: add nothing) and releases the
   * conversation. False when the lease was lost meanwhile: then nothing stays added.
   */
  finish(added: { response: string; items: readonly Item[] } | null): Promise<boolean>;
  /**
   * After a `finish` that failed but may have landed (its reply was lost): removes what the turn of
   * `responseId` appended, so a turn the client was told failed does not stay in the conversation.
   */
  undo(responseId: string): Promise<void>;
}

/** Log entries read per round trip. */
const batch = 200;

/**
 * Conversations (the Conversations API, and `conversation` on `POST /v1/responses`): a record per
 * conversation (`conversations:<id>`, changed atomically through the coordination) and its items in an
 * append-only log (`conversation-items:<id>:<position>`, positions from the coordination's atomic
 * counter, so two writers on any instance never take the same one and no item is lost). Each item is
 * indexed by id (`item-index.ts`) to be read or deleted in one step. A deleted item's position reads as
 * empty. Two turns may not run on one conversation at once: a turn claims it with a compare-and-set
 * before it runs (renewing the lease while it runs) and the second turn gets 409
 * `conversation_conflict` at once, before any upstream call — never a silently forked turn.
 */
export function createConversationStore(storage: Storage, options: ConversationStoreOptions) {
  const { coordination, items: index, settleLater, legacyChain } = options;
  const now = options.now ?? Date.now;
  const leaseMs = options.leaseMs ?? 30_000;
  const { ttlMs } = options.retention;

  const read = (key: string, value: unknown): ConversationRecord | null => {
    if (value === null || value === undefined || isLegacyName(value)) return null;
    if (!isConversation(value)) return unreadable(key);
    return expired(value, now()) ? null : value;
  };
  const get = async (id: string): Promise<ConversationRecord | null> => {
    const key = keys.conversation(id);
    return read(key, await storage.getItem(key));
  };
  const update = (id: string, change: (current: ConversationRecord | null) => ConversationRecord | null | undefined) => {
    const key = keys.conversation(id);
    return coordination.update<ConversationRecord>(key, (current) => change(read(key, current)), { ttlMs });
  };
  /** Indexing a conversation for eviction is housekeeping once it is written, not part of the request. */
  const indexForEviction = (record: ConversationRecord | null) => {
    if (record)
      retention
        .written(keys.conversation(record.id), record.expiresAt)
        .catch((error: unknown) => logger.error(`indexing conversation "${record.id}" failed:`, error));
  };
  const held = (record: ConversationRecord | null, turn: string) => record?.lease?.turn === turn;

  /**
   * Logs as this process has read them, by prefix: positions 1…`through`, null where nothing is (a
   * deleted item). Appended entries never change, so only what was appended since is read; a log an
   * item left is dropped here and announced to every process (`changed`), which drops it too.
   */
  // Each log carries its weight, summed as it grows: weighing the whole log on every append would cost what the cache saves.
  const cache = new RecordCache<{ through: number; entries: (ConversationEntry | null)[]; bytes: number }>(options.cacheEntries ?? 1_000, {
    maxBytes: options.cacheBytes ?? 64 * 1024 * 1024,
    sizeOf: (log) => log.bytes,
  });
  const changed = async (prefix: string) => {
    cache.delete(prefix);
    await coordination.publish(channels.conversationsChanged(), prefix);
  };
  /** Positions `from`…`through` of the log at `prefix`, from storage (null where nothing is). */
  const readStored = async (prefix: string, from: number, through: number): Promise<(ConversationEntry | null)[]> => {
    const found: (ConversationEntry | null)[] = [];
    for (let start = from; start <= through; start += batch) {
      const wanted: string[] = [];
      for (let position = start; position <= Math.min(through, start + batch - 1); position++) wanted.push(logEntryKey(prefix, position));
      const values = new Map((await storage.getItems(wanted)).map(({ key, value }) => [key, value]));
      for (const key of wanted) {
        const value = values.get(key);
        found.push(isEntry(value) ? value : null);
      }
    }
    return found;
  };
  /** The entries at positions `from`…`through` of the log at `prefix` that are still there, in order. */
  const readLog = async (prefix: string, from: number, through: number): Promise<(ConversationItem & { entry: ConversationEntry })[]> => {
    const cached = cache.get(prefix);
    const base = cached?.through ?? 0;
    const readFrom = Math.max(from, Math.min(base, through) + 1);
    const stored = readFrom <= through ? await readStored(prefix, readFrom, through) : [];
    // A read that continues the cached log from where it ends extends it.
    if (readFrom <= base + 1 && through > base) {
      const entries = cached?.entries ?? [];
      let bytes = cached?.bytes ?? 0;
      for (let position = base + 1; position <= through; position++) {
        const entry = stored[position - readFrom] ?? null;
        entries[position - 1] = entry;
        bytes += slotBytes(entry);
      }
      cache.set(prefix, { through, entries, bytes });
    }
    const found: (ConversationItem & { entry: ConversationEntry })[] = [];
    for (let position = from; position <= through; position++) {
      const entry = position < readFrom ? cached!.entries[position - 1] : stored[position - readFrom];
      if (entry) found.push({ position, item: entry.item, entry });
    }
    return found;
  };
  const logLength = async (id: string) => (await coordination.append(keys.conversationItems(id), [])).length;
  const all = async (id: string) => readLog(keys.conversationItems(id), 1, await logLength(id));

  /** Appends items (in one atomic step) and points their ids at their positions. */
  const append = async (id: string, items: readonly Item[], response?: string): Promise<ConversationItem[]> => {
    if (items.length === 0) return [];
    const entries: ConversationEntry[] = items.map((item) => (response ? { item, response } : { item }));
    const prefix = keys.conversationItems(id);
    const { first } = await coordination.append(prefix, entries);
    // Right after the cached log's end (nobody appended in between): the cache takes them as they are.
    const cached = cache.get(prefix);
    if (cached?.through === first - 1)
      cache.set(prefix, {
        through: first - 1 + entries.length,
        entries: [...cached.entries, ...entries],
        bytes: entries.reduce((sum, entry) => sum + slotBytes(entry), cached.bytes),
      });
    await index.write(items, (_item, offset) => ({ conversation: id, position: first + offset }));
    return items.map((item, offset) => ({ position: first + offset, item }));
  };
  /** Removes log positions (and the index entries that point at them). */
  const removePositions = async (id: string, removed: readonly ConversationItem[]) => {
    const prefix = keys.conversationItems(id);
    const positions = new Set(removed.map((entry) => entry.position));
    await index.forget(
      removed.flatMap((entry) => entry.item.id ?? []),
      (location) => "conversation" in location && location.conversation === id && positions.has(location.position),
    );
    await Promise.all(removed.map((entry) => storage.removeItem(logEntryKey(prefix, entry.position))));
    if (removed.length > 0) await changed(prefix);
  };
  /** Deletes the conversation stored at `key`, its items and their index entries. */
  const removeAt = async (key: string) => {
    const prefix = keys.conversationItemsAt(key);
    const { length } = await coordination.append(prefix, []);
    const entries = await readLog(prefix, 1, length);
    await index.forget(
      entries.flatMap((entry) => entry.item.id ?? []),
      (location) => "conversation" in location && keys.conversation(location.conversation) === key,
    );
    await Promise.all([...Array.from({ length }, (_, i) => logEntryKey(prefix, i + 1)), logLengthKey(prefix)].map((entryKey) => storage.removeItem(entryKey)));
    await storage.removeItem(key);
    await changed(prefix);
  };
  /**
   * An item by id: one read through the item index; an id the index places elsewhere (reused by a
   * later response or conversation) is looked for in the log itself. The latest such item wins.
   */
  const find = async (id: string, itemId: string): Promise<ConversationItem | null> => {
    const location = await index.get(itemId);
    if (location && "conversation" in location && location.conversation === id) {
      const [entry] = await readLog(keys.conversationItems(id), location.position, location.position);
      if (entry?.item.id === itemId) return { position: entry.position, item: entry.item };
    }
    const found = (await all(id)).findLast((entry) => entry.item.id === itemId);
    return found ? { position: found.position, item: found.item } : null;
  };
  const retention = createRetention(coordination, indexes.conversations, options.retention, async (evicted) => {
    for (const key of evicted) await removeAt(key);
  });

  return {
    get,
    /**
     * Stores a new conversation with its first items (their ids already given). A conversation whose
     * items could not be stored is removed again, and the failure thrown.
     */
    async create(
      record: Omit<ConversationRecord, "expiresAt" | "lease">,
      items: readonly Item[],
    ): Promise<{ conversation: ConversationRecord; items: ConversationItem[] }> {
      const stored = await update(record.id, () => ({ ...record, expiresAt: now() + ttlMs }));
      try {
        const added = await append(record.id, items);
        indexForEviction(stored);
        return { conversation: stored!, items: added };
      } catch (error) {
        await removeAt(keys.conversation(record.id)).catch(() => undefined);
        throw error;
      }
    },
    /** Replaces the metadata; null when the conversation is unknown. */
    async setMetadata(id: string, metadata: Record<string, string>): Promise<ConversationRecord | null> {
      const stored = await update(id, (current) => (current ? { ...current, metadata, expiresAt: now() + ttlMs } : undefined));
      indexForEviction(stored);
      return stored;
    },
    /** Deletes the conversation and its items; false when it was unknown. */
    async remove(id: string): Promise<boolean> {
      if (!(await get(id))) return false;
      const key = keys.conversation(id);
      await removeAt(key);
      await retention.removed(key);
      return true;
    },
    removeAt,
    /** Every item still in the conversation, oldest first, with its position. */
    items: (id: string): Promise<ConversationItem[]> => all(id),
    /** The items still at positions 1…`through`, oldest first (a turn's history); null when the conversation is gone. */
    async itemsThrough(id: string, through: number): Promise<Item[] | null> {
      if (!(await get(id))) return null;
      return (await readLog(keys.conversationItems(id), 1, through)).map((entry) => entry.item);
    },
    /** Appends items to a conversation (the Conversations API); null when it is unknown. */
    async add(id: string, items: readonly Item[]): Promise<ConversationItem[] | null> {
      if (!(await get(id))) return null;
      const added = await append(id, items);
      indexForEviction(await update(id, (current) => (current ? { ...current, expiresAt: now() + ttlMs } : undefined)));
      return added;
    },
    /** An item by id, with its position; null when the conversation does not hold it. */
    item: find,
    /** The item at a position (what the item index points at); null when it was deleted. */
    async at(id: string, position: number): Promise<Item | null> {
      const [entry] = await readLog(keys.conversationItems(id), position, position);
      return entry?.item ?? null;
    },
    /** Removes an item from the conversation; false when it is not there. */
    async removeItem(id: string, itemId: string): Promise<boolean> {
      const found = await find(id, itemId);
      if (!found) return false;
      await removePositions(id, [found]);
      return true;
    },

    /** Drops logs another process changed from this one's cache; resolves with the unsubscriber. */
    listen(): Promise<() => Promise<void>> {
      // Changes announced while the bus was down are lost: forget everything, the cache refills on reads.
      return coordination.subscribe(
        channels.conversationsChanged(),
        (prefix) => cache.delete(prefix),
        () => cache.clear(),
      );
    },

    /**
     * Claims the conversation for `turn` (the new response's id) and reads its items. `create`: an
     * unknown id is a new conversation (a name chosen by the client), else 404 `conversation_not_found`.
     * @throws {HermesError} 409 `conversation_conflict` while another turn holds it.
     */
    async claim(id: string, turn: string, options: { create: boolean; sessionId: () => string }): Promise<ConversationClaim> {
      const key = keys.conversation(id);
      // A name an earlier version stored: its chain is read first (nothing changes if that fails),
      // and becomes the conversation's first items under this turn's lease.
      const stored = await storage.getItem(key);
      const legacy = isLegacyName(stored) && stored.responseId && options.create && legacyChain ? await legacyChain(stored.responseId) : null;
      let migrating = false;
      const claimed = await coordination.update<ConversationRecord>(
        key,
        (raw) => {
          const old = isLegacyName(raw) ? raw : null;
          const current = read(key, raw);
          const lease = (old ?? current)?.lease;
          if (lease && lease.turn !== turn && lease.until > now()) return undefined;
          if (!current && !options.create) return undefined;
          migrating = old !== null && legacy !== null && old.responseId === (stored as LegacyName).responseId;
          const sessionId = migrating ? legacy!.sessionId : options.sessionId();
          const base = current ?? { id, createdAt: Math.floor(now() / 1000), metadata: {}, sessionId };
          return { ...base, lease: { turn, until: now() + leaseMs }, expiresAt: now() + ttlMs };
        },
        { ttlMs },
      );
      if (!claimed) throw conversationNotFound(id, "conversation");
      if (!held(claimed, turn))
        throw new HermesError(`Another response is in progress on conversation "${id}"; retry once it has finished`, {
          status: 409,
          code: "conversation_conflict",
          param: "conversation",
          // A turn holds its conversation for the length of one answer: worth trying again soon.
          headers: { "retry-after": "1" },
        });
      const renewal = setInterval(() => {
        update(id, (current) => (held(current, turn) ? { ...current!, lease: { turn, until: now() + leaseMs } } : undefined)).catch((error: unknown) =>
          logger.error("renewing a conversation lease failed:", error),
        );
      }, leaseMs / 3);
      renewal.unref();
      /** Lets go of the conversation; resolves with the record, or null when the turn no longer held it. */
      const release = async () => {
        let released = false;
        const after = await update(id, (current) => {
          released = held(current, turn);
          if (!released) return undefined;
          const { lease: _released, ...rest } = current!;
          return { ...rest, expiresAt: now() + ttlMs };
        });
        return released ? after : null;
      };
      let before: Awaited<ReturnType<typeof all>>;
      let length: number;
      let migrated = !migrating;
      try {
        if (migrating) {
          await append(id, legacy!.items);
          migrated = true;
        }
        length = await logLength(id);
        before = await readLog(keys.conversationItems(id), 1, length);
      } catch (error) {
        // The history could not be read: the turn does not run, and lets go now or once the storage is
        // back. A name whose chain could not be copied points at that chain again.
        clearInterval(renewal);
        const letGo = migrated ? release : () => coordination.update<unknown>(key, (raw) => (held(read(key, raw), turn) ? stored : undefined));
        await letGo().catch(() => settleLater?.(`releasing conversation "${id}"`, async () => void (await letGo())));
        throw error;
      }
      /** What `responseId` appended after the claim was taken. */
      const appendedBy = async (responseId: string) =>
        (await readLog(keys.conversationItems(id), length + 1, await logLength(id))).filter((entry) => entry.entry.response === responseId);
      const undo = async (responseId: string) => removePositions(id, await appendedBy(responseId));
      let finished: Promise<boolean> | undefined;
      return {
        conversation: claimed,
        items: before.map((entry) => entry.item),
        length,
        undo,
        finish: (added) => {
          const attempt = (finished ??= (async () => {
            clearInterval(renewal);
            if (added) await append(id, added.items, added.response);
            const after = await release();
            const kept = after !== null;
            if (kept) indexForEviction(after);
            else if (added) {
              logger.warn(`conversation "${id}": the turn lost its lease before it was stored; its items were taken back`);
              await undo(added.response);
            }
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
  };
}

export type ConversationStore = ReturnType<typeof createConversationStore>;

/** 404 for an unknown conversation; `param` names where the client gave its id. */
export function conversationNotFound(id: string, param: string): HermesError {
  return new HermesError(`Conversation not found: ${id}`, { status: 404, code: "conversation_not_found", param });
}

function isConversation(value: unknown): value is ConversationRecord {
  return (
    isObject(value) && typeof value.id === "string" && typeof value.createdAt === "number" && isObject(value.metadata) && typeof value.sessionId === "string"
  );
}

/** A conversation name as an earlier version stored it: a pointer to its latest response. */
interface LegacyName {
  responseId: string | null;
  lease?: { turn: string; until: number };
}

function isLegacyName(value: unknown): value is LegacyName {
  return isObject(value) && !("id" in value) && (value.responseId === null || typeof value.responseId === "string");
}

function isEntry(value: unknown): value is ConversationEntry {
  return isObject(value) && isObject(value.item) && typeof value.item.type === "string";
}

/** A cached log slot's weight: the entry and its place in the array. */
const slotBytes = (entry: ConversationEntry | null) => 8 + approximateBytes(entry);
