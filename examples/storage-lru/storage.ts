import lruCacheDriver from "unstorage/drivers/lru-cache";
import { defineStorage, type HermesStorage } from "hermes-proxy/sdk";

export interface LruStorageOptions {
  /** Records kept at most; the least recently used go first. @default 10_000 */
  max?: number;
}

/**
 * `storage-lru`: state in process memory, bounded. Any unstorage driver becomes a storage this way; a
 * storage shared by several processes also provides `coordination` (see plugins/storage-redis).
 */
export default function lruStorage(options: LruStorageOptions = {}): HermesStorage {
  return defineStorage({ name: "lru", driver: lruCacheDriver({ max: options.max ?? 10_000 }) });
}
