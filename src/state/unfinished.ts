import type { Storage } from "unstorage";
import { keys } from "./keys.ts";
import { isObject } from "./records.ts";

export type UnfinishedKind = "runs" | "responses";

/**
 * Marks of the work a process has live (Runs API runs, background responses), on a storage that one
 * process owns (fs, SQLite): a mark is written before the work's first record and removed once its
 * final record is stored. What a `kill -9` cut off is still marked at the next start, which settles
 * it — one listing of a few keys, never a scan of the stores. On memory (nothing outlives the process)
 * and on Redis (leases: another process settles it) the marks are off and cost nothing.
 */
export function createUnfinishedMarks(storage: Storage, enabled: boolean) {
  return {
    enabled,
    async mark(kind: UnfinishedKind, id: string): Promise<void> {
      if (enabled) await storage.setItem(keys.unfinished(kind, id), { id });
    },
    async unmark(kind: UnfinishedKind, id: string): Promise<void> {
      if (enabled) await storage.removeItem(keys.unfinished(kind, id));
    },
    /** The ids still marked. */
    async list(kind: UnfinishedKind): Promise<string[]> {
      if (!enabled) return [];
      const found = await storage.getKeys(keys.unfinishedOf(kind));
      if (found.length === 0) return [];
      const ids: string[] = [];
      for (const { key, value } of await storage.getItems(found)) {
        if (isObject(value) && typeof value.id === "string") ids.push(value.id);
        // A torn mark names nothing: drop it.
        else await storage.removeItem(key);
      }
      return ids;
    },
  };
}

export type UnfinishedMarks = ReturnType<typeof createUnfinishedMarks>;
