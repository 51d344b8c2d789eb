import type { Driver } from "unstorage";
import type { StorageOperationInfo } from "../plugin-api/index.ts";

/** The driver methods that touch data; lifecycle ones (`dispose`, `watch`, `getInstance`) are left alone. */
const timedMethods = [
  "hasItem",
  "getItem",
  "getItems",
  "getItemRaw",
  "setItem",
  "setItems",
  "setItemRaw",
  "removeItem",
  "getMeta",
  "getKeys",
  "clear",
] as const;

export interface TimedDriverOptions {
  /** The storage's name for the `driver` label: `memory`, `fs`, `sqlite`, `redis`, … */
  name: string;
  onOperation: (operation: StorageOperationInfo) => void;
  /** The request the operation runs for, when the host tracks request context. */
  requestId?: (() => string | undefined) | undefined;
}

/**
 * The driver with each data method timed and reported, once it settles, to `onOperation`. Used only
 * while something observes storage (metrics, a plugin's `onStorageOperation`); otherwise the driver is
 * used as it is. Everything else (name, flags, options, `dispose`) is the driver's own, through the
 * prototype.
 */
export function timeDriver(driver: Driver, options: TimedDriverOptions): Driver {
  const timed: Driver = Object.create(driver);
  const { name, onOperation, requestId } = options;
  for (const operation of timedMethods) {
    const method = driver[operation] as ((...args: unknown[]) => unknown) | undefined;
    if (typeof method !== "function") continue;
    (timed as unknown as Record<string, unknown>)[operation] = (...args: unknown[]) => {
      const startedAt = Date.now();
      const started = performance.now();
      const request = requestId?.();
      const report = (failed: boolean) =>
        onOperation({ driver: name, operation, startedAt, durationMs: performance.now() - started, failed, requestId: request });
      let result: unknown;
      try {
        result = method.apply(driver, args);
      } catch (error) {
        report(true);
        throw error;
      }
      if (result instanceof Promise)
        return result.then(
          (value) => {
            report(false);
            return value;
          },
          (error: unknown) => {
            report(true);
            throw error;
          },
        );
      report(false);
      return result;
    };
  }
  return timed;
}
