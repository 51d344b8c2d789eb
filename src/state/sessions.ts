import type { Storage } from "unstorage";
import type { Item, StorageCoordination } from "../protocol/index.ts";
import { indexes, keys } from "./keys.ts";
import { expired, isObject, storageTtl, unreadable } from "./records.ts";
import { createRetention, type RetentionPolicy } from "./retention.ts";

export interface SessionRecord {
  id: string;
  /** The whole conversation so far, oldest first: what a continuation sends upstream before its new input. */
  items: Item[];
  updatedAt: number;
  expiresAt?: number;
}

export interface SessionStoreOptions {
  coordination: StorageCoordination;
  retention: RetentionPolicy;
}

/** Sessions: the server-side history behind `X-Hermes-Session-Id`. One read and one write per turn. */
export function createSessionStore(storage: Storage, options: SessionStoreOptions) {
  const { ttlMs } = options.retention;
  const retention = createRetention(options.coordination, indexes.sessions, options.retention, async (evicted) => {
    for (const key of evicted) await storage.removeItem(key);
  });
  return {
    async get(id: string, now = Date.now()): Promise<SessionRecord | null> {
      const key = keys.session(id);
      const value = await storage.getItem(key);
      if (value === null) return null;
      if (!isObject(value) || typeof value.id !== "string" || !Array.isArray(value.items)) return unreadable(key);
      const record = value as unknown as SessionRecord;
      return expired(record, now) ? null : record;
    },
    async save(id: string, items: Item[], now = Date.now()): Promise<void> {
      const key = keys.session(id);
      const record: SessionRecord = { id, items, updatedAt: now, expiresAt: now + ttlMs };
      await retention.written(key, record.expiresAt!, storage.setItem(key, record, storageTtl(ttlMs)));
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
