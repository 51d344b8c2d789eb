import { createStorage, type Driver, type Storage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { defineStorage, type HermesStorage } from "../../sdk/index.ts";

/**
 * An in-memory storage that can be switched off: while `down`, every data call fails as a dropped
 * connection does (`ECONNREFUSED`), after `delayMs` when set (a storage that answers slowly, then not).
 * `contents` reads what it holds whatever the switch says: what a test asserts was (not) stored.
 *
 * @example
 * const flaky = flakyStorage();
 * const proxy = await startProxy({ plugins: [flaky.storage] });
 * flaky.down = true; // … requests answer 503 storage_unavailable …
 * flaky.down = false;
 */
export interface FlakyStorage {
  storage: HermesStorage;
  down: boolean;
  /** How long a failing call takes to fail. @default 0 */
  delayMs: number;
  /** Data calls made while down (each retry counts). */
  failedCalls: number;
  /** The records as stored, bypassing the switch. */
  contents: Storage;
}

const dataMethods = ["hasItem", "getItem", "getItems", "getItemRaw", "setItem", "setItems", "setItemRaw", "removeItem", "getMeta", "getKeys", "clear"] as const;

export function flakyStorage(): FlakyStorage {
  const inner = memoryDriver();
  const state: FlakyStorage = {
    storage: undefined as unknown as HermesStorage,
    down: false,
    delayMs: 0,
    failedCalls: 0,
    contents: createStorage({ driver: inner }),
  };
  const driver: Driver = Object.create(inner);
  for (const name of dataMethods) {
    const method = (inner as unknown as Record<string, unknown>)[name];
    if (typeof method !== "function") continue;
    (driver as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
      if (state.down) {
        state.failedCalls++;
        if (state.delayMs > 0) await new Promise((resolve) => setTimeout(resolve, state.delayMs));
        throw Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:1 (simulated outage)"), { code: "ECONNREFUSED" });
      }
      return (method as (...args: unknown[]) => unknown).apply(inner, args);
    };
  }
  state.storage = defineStorage({ name: "flaky", driver, description: "memory that can be switched off" });
  return state;
}
