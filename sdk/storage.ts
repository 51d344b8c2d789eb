import type { Driver } from "unstorage";
import type { HermesStorage } from "../src/protocol/index.ts";

export type { HermesStorage } from "../src/protocol/index.ts";

/** What `defineStorage` takes. */
export interface StorageDefinition {
  /** Names the driver in `/health/detailed` and in errors, e.g. `redis`. */
  name: string;
  /** An unstorage driver: `redisDriver({ url })`, `fsLiteDriver({ base })`, or one written with unstorage's `defineDriver`. */
  driver: Driver;
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
  return Object.freeze({ kind: "storage", name, driver });
}
