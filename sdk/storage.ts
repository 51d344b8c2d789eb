import type { Driver } from "unstorage";
import type { HermesStorage, StorageCoordination } from "../src/plugin-api/index.ts";

export type { HermesStorage, StorageCoordination } from "../src/plugin-api/index.ts";
export { createKeyedQueue, RecordCache } from "../src/utils/index.ts";
export { logEntryKey, logLengthKey, type LogAppend } from "../src/plugin-api/index.ts";

/** What `defineStorage` takes. */
export interface StorageDefinition {
  /** Names the driver in `/health/detailed` and in errors, e.g. `redis`. */
  name: string;
  /** An unstorage driver: `redisDriver({ url })`, `fsLiteDriver({ base })`, one written with unstorage's `defineDriver`, or a `lazyDriver(...)`. */
  driver: Driver;
  /** Where the data lives, for the startup banner. Never include a credential. @example "sqlite (/var/lib/hermes/state.db)" */
  description?: string;
  /**
   * Atomic updates, eviction indexes, leased slots and a message bus shared by every process on this
   * storage, for running several proxies as one. Leave it out for a storage one process owns: the proxy
   * then coordinates in process.
   */
  coordination?: StorageCoordination;
  /**
   * True while the storage holds more than its bound: each write to one of the proxy's retained stores
   * (stored responses, sessions, conversations, idempotency records, finished runs) then gives up that
   * store's oldest records, a few at a time, until it is false. Scheduled jobs and live runs are never
   * given up. Only for a storage without `coordination`. @example overBudget: () => bytesHeld > maxBytes
   */
  overBudget?: () => boolean;
  /**
   * Only this process writes the storage while the proxy runs (an in-process map, a file it locks with
   * `acquireProcessLock`): an update of a key this process last read or wrote then skips reading it
   * back (any write through the driver still invalidates it). Leave it out when another process may
   * write the same data (a directory several processes share). Only for a storage without `coordination`.
   */
  exclusive?: boolean;
}

/**
 * Wraps an unstorage driver as a storage plugin: the proxy keeps its stored responses, conversations,
 * sessions, run logs and idempotency records in it, and plugins get a namespace of it as
 * `context.storage`. Prove a driver with `testStorage()` from `hermes-proxy/sdk/testing`.
 *
 * @throws {TypeError} when the driver lacks the methods every store uses.
 * @example
 * import { defineStorage } from "hermes-proxy/sdk";
 * import redisDriver from "unstorage/drivers/redis";
 *
 * export default function redisStorage(options: { url: string }) {
 *   return defineStorage({ name: "redis", driver: redisDriver({ url: options.url, base: "hermes" }) });
 * }
 */
export function defineStorage(definition: StorageDefinition): HermesStorage {
  const { name, driver } = definition;
  if (typeof name !== "string" || name.trim() === "") throw new TypeError("defineStorage: name must be a non-empty string");
  if (typeof driver !== "object" || driver === null) throw new TypeError(`defineStorage(${name}): driver must be an unstorage driver`);
  for (const method of ["getItem", "hasItem", "getKeys"] as const)
    if (typeof driver[method] !== "function") throw new TypeError(`defineStorage(${name}): the driver has no ${method}()`);
  if (typeof driver.setItem !== "function" && typeof driver.setItemRaw !== "function")
    throw new TypeError(`defineStorage(${name}): the driver is read-only (no setItem())`);
  const { description, coordination, overBudget, exclusive } = definition;
  if (overBudget !== undefined && typeof overBudget !== "function") throw new TypeError(`defineStorage(${name}): overBudget must be a function`);
  if (overBudget !== undefined && coordination !== undefined)
    throw new TypeError(`defineStorage(${name}): overBudget is for a storage the proxy coordinates in process; a coordination bounds its own storage`);
  if (exclusive !== undefined && typeof exclusive !== "boolean") throw new TypeError(`defineStorage(${name}): exclusive must be a boolean`);
  if (exclusive && coordination !== undefined)
    throw new TypeError(`defineStorage(${name}): exclusive is for a storage the proxy coordinates in process; a coordination keeps its own`);
  if (coordination !== undefined) {
    const methods = ["update", "track", "untrack", "acquire", "renew", "release", "hold", "reclaim", "append", "publish", "subscribe"] as const;
    const missing = methods.filter((method) => typeof (coordination as unknown as Record<string, unknown>)[method] !== "function");
    if (missing.length > 0) throw new TypeError(`defineStorage(${name}): coordination must implement StorageCoordination (missing ${missing.join(", ")})`);
  }
  return Object.freeze({
    kind: "storage",
    name,
    driver,
    ...(description !== undefined && { description }),
    ...(coordination !== undefined && { coordination }),
    ...(overBudget !== undefined && { overBudget }),
    ...(exclusive !== undefined && { exclusive }),
  });
}
