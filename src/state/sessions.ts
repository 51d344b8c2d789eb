import type { Storage } from "unstorage";
import type { Item } from "../protocol/index.ts";
import { keys } from "./keys.ts";

export interface SessionRecord {
  id: string;
  /** The whole conversation so far, oldest first: what a continuation sends upstream before its new input. */
  items: Item[];
  updatedAt: number;
}

/** Sessions: the server-side history behind `X-Hermes-Session-Id`. */
export function createSessionStore(storage: Storage) {
  return {
    async get(id: string): Promise<SessionRecord | null> {
      return (await storage.getItem<SessionRecord>(keys.session(id))) ?? null;
    },
    async save(id: string, items: Item[], now = Date.now()): Promise<void> {
      await storage.setItem(keys.session(id), { id, items, updatedAt: now } satisfies SessionRecord);
    },
  };
}

export type SessionStore = ReturnType<typeof createSessionStore>;
