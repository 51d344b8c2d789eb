import { defineStorage, type HermesStorage } from "../../sdk/index.ts";
import { boundedMemoryDriver } from "./driver.ts";

export interface MemoryStorageOptions {
  /**
   * What the stored records may add up to (keys and JSON values, counted by length). Past it the proxy
   * gives up its oldest retained records (stored responses, sessions, conversations, idempotency
   * records), as it does past a store's `maxEntries`; scheduled jobs and runs keep to their own
   * bounds. @default 67_108_864 (64 MiB)
   */
  maxBytes?: number;
}

/** The default bound of the memory storage: a throwaway store must not grow with every request. */
export const defaultMemoryMaxBytes = 64 * 1024 * 1024;

/**
 * `storage-memory`: everything in this process's memory, gone on restart. For tests and throwaway
 * runs; the proxy still applies every store's TTL and size bound, and the whole store's `maxBytes`.
 *
 * @example
 * import memoryStorage from "hermes-proxy/plugins/storage-memory";
 * export default defineConfig({ plugins: [memoryStorage({ maxBytes: 16 * 1024 * 1024 })] }); // storage: "memory" is the default bound
 */
export default function memoryStorage(options: MemoryStorageOptions = {}): HermesStorage {
  const maxBytes = options.maxBytes ?? defaultMemoryMaxBytes;
  if (!Number.isSafeInteger(maxBytes) || maxBytes <= 0) throw new TypeError("memoryStorage: maxBytes must be a positive integer");
  const driver = boundedMemoryDriver({ maxBytes });
  const held = driver.getInstance!() as { overBudget(): boolean };
  return defineStorage({ name: "memory", driver, description: "memory (not kept across restarts)", overBudget: () => held.overBudget(), exclusive: true });
}
