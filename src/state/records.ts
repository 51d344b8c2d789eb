import { logger } from "../utils/logger.ts";

/**
 * unstorage's per-write `ttl` option, in whole seconds. Drivers with native expiry (Redis) drop the
 * record themselves; the others ignore it, and every store also checks its records' `expiresAt` on read.
 */
export function storageTtl(ttlMs: number | undefined): { ttl: number } | undefined {
  return ttlMs === undefined ? undefined : { ttl: Math.max(1, Math.ceil(ttlMs / 1000)) };
}

/** True when a record's `expiresAt` (epoch ms) has passed; a record without one never expires. */
export function expired(record: { expiresAt?: number | null | undefined }, now: number): boolean {
  return typeof record.expiresAt === "number" && record.expiresAt <= now;
}

/** A plain object (what every stored record is); anything else read back is corrupt and counts as missing. */
export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A record that does not parse (a torn write, a foreign value) reads as missing, never as data. */
export function unreadable(key: string): null {
  logger.warn(`ignoring an unreadable record at ${key}`);
  return null;
}
