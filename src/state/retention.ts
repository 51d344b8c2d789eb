import type { StorageCoordination } from "../plugin-api/index.ts";
import { logger } from "../utils/logger.ts";

/** How long one store keeps a record after its last write, and how many it keeps at most. */
export interface RetentionPolicy {
  ttlMs: number;
  maxEntries: number;
}

export interface Retention {
  readonly policy: RetentionPolicy;
  /**
   * The record at `key` lives until `expiresAt`. Pass the write itself to index it in parallel: what
   * the index gives up is evicted (in the background) only once the write has landed, so a record never
   * reappears after its own eviction.
   */
  written(key: string, expiresAt: number, write?: Promise<unknown>): Promise<void>;
  /** After a delete. */
  removed(key: string): Promise<void>;
}

/**
 * Eviction for one store without scanning it: every write records `(key, expiresAt)` in the store's
 * index (a Redis sorted set, or an insertion-ordered map in process), which answers with the keys past
 * their expiry or beyond `maxEntries`, oldest first, each given up once. Reads check `expiresAt` too,
 * so an expired record is never served while it waits for its eviction; Redis also expires it natively.
 *
 * @example
 * const retention = createRetention(coordination, "responses", { ttlMs: 86_400_000, maxEntries: 10_000 }, (keys) => deleteAll(keys));
 * await retention.written("responses:resp_1", Date.now() + 86_400_000);
 */
export function createRetention(
  coordination: StorageCoordination,
  index: string,
  policy: RetentionPolicy,
  evict: (keys: string[]) => Promise<void>,
): Retention {
  return {
    policy,
    async written(key, expiresAt, write) {
      const [evicted] = await Promise.all([coordination.track(index, key, expiresAt, policy.maxEntries), write]);
      if (evicted.length === 0) return;
      // Off the request's path: the write is done, removing old records is housekeeping.
      evict(evicted).catch((error: unknown) => logger.error(`evicting from ${index} failed:`, error));
    },
    async removed(key) {
      await coordination.untrack(index, key);
    },
  };
}
