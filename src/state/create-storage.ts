import { createStorage, type Storage } from "unstorage";
import fsLiteDriver from "unstorage/drivers/fs-lite";
import memoryDriver from "unstorage/drivers/memory";

/**
 * The one Storage instance every store shares, from the `storage` setting: `memory` or `fs:<dir>`.
 * (SQLite and Redis arrive as storage plugins.)
 */
export function createHermesStorage(spec: string): Storage {
  if (spec === "memory") return createStorage({ driver: memoryDriver() });
  if (spec.startsWith("fs:")) return createStorage({ driver: fsLiteDriver({ base: spec.slice(3) }) });
  throw new Error(`Unsupported storage "${spec}": expected "memory" or "fs:<dir>"`);
}

/** A short description for banners and `/health/detailed`: the driver, never a credential. */
export function describeStorage(spec: string): string {
  return spec === "memory" ? "memory" : spec.startsWith("fs:") ? "fs" : "unknown";
}
