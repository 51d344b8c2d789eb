import type { Storage } from "unstorage";
import { HermesError, type Item } from "../protocol/index.ts";
import { type StorageCoordination } from "../plugin-api/index.ts";
import { indexes, keys } from "./keys.ts";
import { expired, storageTtl, unreadable } from "./records.ts";
import type { ResponseStore } from "./responses.ts";
import { createRetention, type RetentionPolicy } from "./retention.ts";
import { pageSessions, type SessionPage, type SessionPageRequest } from "./session-listing.ts";
import { applyTurn, type ItemsWrite, isSessionRecord, newSession, type SessionRecord, type SessionTurn } from "./session-record.ts";

export type { SessionRecord, SessionSource, SessionTurn, TurnMessages } from "./session-record.ts";

export interface SessionStoreOptions {
  coordination: StorageCoordination;
  retention: RetentionPolicy;
  /** Where a Responses session's messages are: the chain of its head response. */
  responses: ResponseStore;
  now?: () => number;
}

/** Metadata records read per round trip while listing. */
const listBatch = 200;

/**
 * Sessions from every API, in two keys each: the metadata (`sessions:<id>`, changed atomically through
 * the coordination so that two processes on one Redis never lose a counter) and the messages
 * (`session-items:<id>`, or the chain of a Responses session's head response). A Chat Completions turn
 * costs one metadata update and one items write; a Responses turn one metadata update. An update of a
 * session this process wrote last is one write (one script call on Redis): the coordination starts
 * from the record it remembers (`StorageCoordination.update`), so records here are never mutated.
 */
export function createSessionStore(storage: Storage, options: SessionStoreOptions) {
  const { coordination, responses } = options;
  const now = options.now ?? Date.now;
  const { ttlMs } = options.retention;
  /** Deletes the session stored at `key` (a metadata key) and its messages. */
  const removeAt = async (key: string) => {
    await Promise.all([storage.removeItem(keys.sessionItemsAt(key)), storage.removeItem(key)]);
  };
  const retention = createRetention(coordination, indexes.sessions, options.retention, async (evicted) => {
    for (const key of evicted) await removeAt(key);
  });

  const read = (key: string, value: unknown, at = now()): SessionRecord | null => {
    if (value === null || value === undefined) return null;
    if (!isSessionRecord(value)) return unreadable(key);
    return expired(value, at) ? null : value;
  };
  const get = async (id: string, at = now()): Promise<SessionRecord | null> => {
    const key = keys.session(id);
    return read(key, await storage.getItem(key), at);
  };
  /** Atomic change of a session's metadata; `change` gets null for a missing session and must be pure. */
  const update = (id: string, change: (current: SessionRecord | null) => SessionRecord | null | undefined, expiresAt?: number) => {
    const key = keys.session(id);
    const ttl = Math.max(1, (expiresAt ?? now() + ttlMs) - now());
    return coordination.update<SessionRecord>(key, (current) => change(read(key, current)), { ttlMs: ttl });
  };
  const itemsOf = async (record: SessionRecord, stored?: unknown): Promise<Item[]> => {
    if (record.headResponseId) return (await responses.history(record.headResponseId))?.items ?? [];
    const value = stored === undefined ? await storage.getItem(keys.sessionItems(record.id)) : stored;
    return Array.isArray(value) ? (value as Item[]) : [];
  };
  /** Not an async function: a Chat turn's replace is the storage's own promise, with no frame around it. */
  const writeItems = (id: string, write: ItemsWrite): Promise<unknown> => {
    const key = keys.sessionItems(id);
    if (write.kind === "replace") return storage.setItem(key, write.items as Item[], storageTtl(ttlMs));
    if (write.kind === "clear") return storage.removeItem(key);
    if (write.kind === "append") return appendItems(key, write);
    return Promise.resolve();
  };
  const appendItems = async (key: string, write: ItemsWrite & { kind: "append" }) => {
    const chain = write.materialise ? ((await responses.history(write.materialise))?.items ?? []) : [];
    // An update, not a write: two runs appending to one session at once both land.
    await coordination.update<Item[]>(key, (current) => [...chain, ...(Array.isArray(current) ? current : []), ...write.items], { ttlMs });
  };
  /** A batch's turns applied in order in one metadata update: the session after them, and what their messages need. */
  const applyTurns = async (id: string, turns: readonly { turn: SessionTurn; at: number }[]) => {
    let writes: readonly ItemsWrite[] = [];
    const after = await update(id, (current) => {
      let record = current;
      writes = [];
      for (const { turn, at } of turns) {
        const applied = applyTurn(record, id, turn, at, ttlMs);
        record = applied.record;
        writes = mergeWrites(writes, applied.write);
      }
      return record;
    });
    return { after: after!, writes };
  };
  /** A batch's messages, in as few writes as they allow, indexed meanwhile: one round trip, not two (eviction waits for the write). */
  const writeMessages = async (id: string, { after, writes }: { after: SessionRecord; writes: readonly ItemsWrite[] }): Promise<SessionRecord> => {
    const written =
      writes.length <= 1
        ? writes[0] && writeItems(id, writes[0])
        : (async () => {
            for (const write of writes) await writeItems(id, write);
          })();
    await retention.written(keys.session(id), after.expiresAt, written);
    return after;
  };
  /**
   * Per session, its last batch of turns: still open to more turns until its metadata update starts,
   * then its two stages in flight. Gone once they are stored.
   */
  const batches = new Map<string, TurnBatch>();
  const load = async (id: string): Promise<{ record: SessionRecord; items: Item[] } | null> => {
    const key = keys.session(id);
    // Both keys in one round trip: a continuation reads its history on the request's path.
    const [meta, stored] = await Promise.all([storage.getItem(key), storage.getItem(keys.sessionItems(id))]);
    const record = read(key, meta);
    return record ? { record, items: await itemsOf(record, stored) } : null;
  };
  /** Creates `record` unless its id is taken. @throws {HermesError} 409 `session_exists`. */
  const create = async (record: SessionRecord): Promise<SessionRecord> => {
    let created = false;
    await update(record.id, (current) => {
      created = current === null;
      return created ? record : undefined;
    });
    if (!created) throw new HermesError(`A session with id '${record.id}' already exists`, { status: 409, code: "session_exists", param: "id" });
    await retention.written(keys.session(record.id), record.expiresAt);
    return record;
  };

  return {
    /** The session's metadata; null when unknown, expired or unreadable. */
    get,

    /** The session's whole history, oldest first: its own items, or its Responses chain. Null when unknown. */
    async history(id: string): Promise<Item[] | null> {
      return (await load(id))?.items ?? null;
    },

    /** The session's metadata and its history together, for a turn that needs both (one round trip). Null when unknown. */
    load,

    /**
     * Records one turn of any API on session `id`, creating the session at its first turn: metadata
     * first (atomically), then the messages. Resolves with the metadata once the turn is stored.
     *
     * One session's turns are written one batch at a time: turns that arrive while its write is under
     * way wait together and land as one write (their counters summed, their messages merged), so a
     * session busier than its storage is fast (many clients whose conversations open alike share a
     * derived session) keeps one batch waiting instead of a queue that grows with every turn.
     */
    recordTurn(id: string, turn: SessionTurn): Promise<SessionRecord> {
      const at = now();
      const previous = batches.get(id);
      if (previous && !previous.started) {
        previous.turns.push({ turn, at });
        return previous.stored;
      }
      const batch = { turns: [{ turn, at }], started: false } as TurnBatch;
      const start = () => {
        batch.started = true;
        return applyTurns(id, batch.turns);
      };
      if (previous === undefined) {
        batch.updated = start();
        batch.stored = batch.updated.then((applied) => writeMessages(id, applied));
      } else {
        // Two stages, each in order: this batch's metadata after the previous batch's, its messages after
        // the previous batch's messages (a replace must not land under an older one).
        batch.updated = previous.updated.then(start, start);
        batch.stored = batch.updated.then((applied) => {
          const write = () => writeMessages(id, applied);
          return previous.stored.then(write, write);
        });
      }
      batches.set(id, batch);
      const forget = () => batches.get(id) === batch && batches.delete(id);
      batch.stored.then(forget, forget);
      return batch.stored;
    },

    /** Resolves once the turns of session `id` recorded so far are written, or failed to be (at once when none is under way). */
    async settled(id: string): Promise<void> {
      await batches.get(id)?.stored.catch(() => undefined);
    },

    /** A new, empty session (`POST /api/sessions`). @throws {HermesError} 409 `session_exists`. */
    create(id: string, fields: { title?: string | null; model?: string | null; systemPrompt?: string | null }): Promise<SessionRecord> {
      return create(newSession(id, { source: "api", ...fields }, now(), ttlMs));
    },

    /** Changes the title or ends (or reopens) a session. Null when it is unknown. */
    async patch(id: string, changes: { title?: string | null; ended?: boolean; endReason?: string }): Promise<SessionRecord | null> {
      const at = now();
      const existing = await get(id, at);
      if (!existing) return null;
      return update(
        id,
        (current) => {
          if (!current) return undefined;
          const next = { ...current };
          if (changes.title !== undefined) next.title = changes.title;
          if (changes.ended === true && current.endedAt === null) Object.assign(next, { endedAt: at, endReason: changes.endReason ?? "ended" });
          if (changes.ended === false) Object.assign(next, { endedAt: null, endReason: null });
          return next;
        },
        existing.expiresAt,
      );
    },

    /**
     * A new session holding a copy of `sourceId`'s history (a Responses chain is copied as items: the
     * fork must not change when the chain does); the source ends with reason `branched`. Null when the
     * source is unknown. @throws {HermesError} 409 `session_exists`.
     */
    async fork(sourceId: string, id: string, title: string | null | undefined): Promise<SessionRecord | null> {
      const loaded = await load(sourceId);
      if (!loaded) return null;
      const { record: source, items } = loaded;
      const at = now();
      const fork = newSession(
        id,
        {
          source: "fork",
          parentSessionId: source.id,
          model: source.model,
          systemPrompt: source.systemPrompt,
          title: title !== undefined ? title : source.title === null ? null : `${source.title} (fork)`.slice(0, 200),
          messageCount: source.messageCount,
          toolCallCount: source.toolCallCount,
          preview: source.preview,
        },
        at,
        ttlMs,
      );
      await create(fork);
      await writeItems(id, { kind: "replace", items });
      await update(
        sourceId,
        (current) => (current && current.endedAt === null ? { ...current, endedAt: at, endReason: "branched" } : undefined),
        source.expiresAt,
      );
      return fork;
    },

    /** Deletes a session's metadata and messages (a Responses chain stays: it belongs to the response store). */
    async remove(id: string): Promise<boolean> {
      const key = keys.session(id);
      if (!(await get(id))) return false;
      await removeAt(key);
      await retention.removed(key);
      return true;
    },

    /**
     * A page of sessions, most recently active first. This lists and reads every `sessions:` metadata
     * key (bounded by `retention.sessions.maxEntries`, 10,000 by default; one small record each, read
     * in batches): fine for a dashboard, not for a hot path. An index ordered by activity would avoid
     * the scan but cost every turn a second write.
     */
    async list(request: SessionPageRequest): Promise<SessionPage> {
      const at = now();
      const all = await storage.getKeys(keys.sessions());
      const records: SessionRecord[] = [];
      for (let start = 0; start < all.length; start += listBatch) {
        for (const { key, value } of await storage.getItems(all.slice(start, start + listBatch))) {
          const record = read(key, value, at);
          if (record) records.push(record);
        }
      }
      return pageSessions(records, request);
    },

    /** For eviction after a restart (`rebuildIndexes`): deletes the session at a metadata key. */
    removeAt,
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;

interface TurnBatch {
  turns: { turn: SessionTurn; at: number }[];
  /** Its metadata update has begun: later turns form the next batch. */
  started: boolean;
  updated: Promise<{ after: SessionRecord; writes: readonly ItemsWrite[] }>;
  stored: Promise<SessionRecord>;
}

/**
 * `next` after `writes`, merged where one write can do both: a whole history replaces what came
 * before it, an append extends the list written before it. An append after anything else (a
 * session that just moved onto a Responses chain) stays a write of its own.
 */
function mergeWrites(writes: readonly ItemsWrite[], next: ItemsWrite): readonly ItemsWrite[] {
  if (next.kind === "none") return writes;
  if (next.kind === "replace" || next.kind === "clear") return [next];
  const last = writes.at(-1);
  if (last?.kind === "replace") return [...writes.slice(0, -1), { kind: "replace", items: [...last.items, ...next.items] }];
  if (last?.kind === "append") return [...writes.slice(0, -1), { kind: "append", items: [...last.items, ...next.items], materialise: last.materialise }];
  return [...writes, next];
}

/** 404 `session_not_found`, as every session route and turn answers it. */
export function sessionNotFound(id: string): HermesError {
  return new HermesError(`Session not found: ${id}`, { status: 404, code: "session_not_found", param: "id" });
}
