import memoryDriver from "unstorage/drivers/memory";
import { defineStorage, type HermesStorage } from "../../sdk/index.ts";

/**
 * `storage-memory`: everything in this process's memory, gone on restart. For tests and throwaway
 * runs; the proxy still applies every store's TTL and size bound.
 *
 * @example
 * import memoryStorage from "hermes-proxy/plugins/storage-memory";
 * export default defineConfig({ plugins: [memoryStorage()] }); // same as storage: "memory"
 */
export default function memoryStorage(): HermesStorage {
  return defineStorage({ name: "memory", driver: memoryDriver(), description: "memory (not kept across restarts)" });
}
