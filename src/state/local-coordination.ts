import type { Storage } from "unstorage";
import { createKeyedQueue, RecencyMap } from "../utils/index.ts";
import { type LogAppend, logEntryKey, logLengthKey, type StorageCoordination } from "../plugin-api/index.ts";
import type { KnownValues } from "./known-values.ts";
import { storageTtl } from "./records.ts";

/** Records a write to an index gives up beyond its limits while the storage is over its bound. */
const shedPerWrite = 4;

/**
 * Coordination inside one process, for storages without their own (memory, fs, SQLite): updates are
 * serialised per key, indexes, slots and channels live in memory. fs and SQLite are locked to one
 * process for that reason (`acquireProcessLock`); run Redis to share them.
 * A log's length is kept in the storage (it survives a restart); its entries are written before the
 * length that counts them, so a crash between the two leaves entries no reader counts, never a gap.
 *
 * Given `known` (a storage only this process writes: memory, and fs and SQLite under their process
 * lock), an update of a key whose value
 * this process last read or wrote, with nothing written to it since, starts from that value: one
 * write, no read. Any other storage (a plugin's that others may write) reads first.
 *
 * A storage over its bound (`overBudget`, the memory storage's `maxBytes`) gives up the oldest entries
 * of a `sheddable` index each write to it tracks, `shedPerWrite` of them beyond its own limits: as
 * records keep coming, the store shrinks until it is back under its bound, and no write waits for a
 * scan. An index left out (runs: a live run is tracked there too) keeps to its own limits.
 */
export function createLocalCoordination(
  storage: Storage,
  options: { overBudget?: (() => boolean) | undefined; sheddable?: readonly string[]; now?: () => number; known?: KnownValues | undefined } = {},
): StorageCoordination {
  const { overBudget, now = Date.now, known } = options;
  const sheddable = new Set(options.sheddable);
  const inOrder = createKeyedQueue();
  const indexes = new Map<string, RecencyMap<number>>();
  const pools = new Map<string, Map<string, number>>();
  const channels = new Map<string, Set<(message: string) => void>>();

  const mapOf = (maps: Map<string, Map<string, number>>, name: string) => {
    let map = maps.get(name);
    if (!map) maps.set(name, (map = new Map()));
    return map;
  };

  return {
    shared: false,
    update<T>(key: string, change: (current: T | null) => T | null | undefined, options: { ttlMs?: number } = {}) {
      return inOrder(key, async () => {
        let current: T | null;
        const remembered = known?.get(key);
        if (remembered) current = remembered.value as T | null;
        else {
          const reading = known?.expect(key, 0);
          current = ((await storage.getItem(key)) ?? null) as T | null;
          if (reading) known!.settle(key, reading, current);
        }
        const next = change(current);
        if (next === undefined) return current;
        const writing = known?.expect(key, 1);
        try {
          if (next === null) await storage.removeItem(key);
          else await storage.setItem(key, next as never, storageTtl(options.ttlMs));
        } catch (error) {
          known?.forget(key);
          throw error;
        }
        if (writing) known!.settle(key, writing, next);
        return next;
      });
    },
    track(index, key, expiresAt, maxEntries) {
      let entries = indexes.get(index);
      if (!entries) indexes.set(index, (entries = new RecencyMap()));
      // Moved to the end: the front is always the least recently written.
      entries.touch(key, expiresAt);
      const evicted: string[] = [];
      const time = now();
      let shed = sheddable.has(index) && overBudget?.() ? shedPerWrite : 0;
      for (const [candidate, expiry] of entries) {
        if (entries.size <= maxEntries && expiry > time) {
          // Shedding stops at the record just written: it is the one a client was told about.
          if (shed === 0 || candidate === key) break;
          shed--;
        }
        entries.delete(candidate);
        evicted.push(candidate);
      }
      // Not an async function: the index is in memory, the promise is only the interface's.
      return Promise.resolve(evicted);
    },
    async untrack(index, key) {
      indexes.get(index)?.delete(key);
    },
    async acquire(pool, id, limit, leaseMs) {
      const slots = mapOf(pools, pool);
      const time = now();
      for (const [holder, expiry] of slots) if (expiry <= time) slots.delete(holder);
      if (!slots.has(id) && slots.size >= limit) return false;
      slots.set(id, time + leaseMs);
      return true;
    },
    async renew(pool, ids, leaseMs) {
      const slots = pools.get(pool);
      for (const id of ids) if (slots?.has(id)) slots.set(id, now() + leaseMs);
    },
    async release(pool, id) {
      pools.get(pool)?.delete(id);
    },
    async hold(pool, ids, leaseMs) {
      const slots = mapOf(pools, pool);
      for (const id of ids) slots.set(id, now() + leaseMs);
    },
    async reclaim(pool, leaseMs, limit) {
      const slots = pools.get(pool);
      const taken: string[] = [];
      const time = now();
      for (const [id, expiry] of slots ?? []) {
        if (taken.length >= limit) break;
        if (expiry > time) continue;
        slots!.set(id, time + leaseMs);
        taken.push(id);
      }
      return taken;
    },
    append(prefix, values, options = {}) {
      const lengthKey = logLengthKey(prefix);
      return inOrder(lengthKey, async (): Promise<LogAppend> => {
        const raw = Number((await storage.getItem(lengthKey)) ?? 0);
        const sealed = raw < 0;
        const length = Math.abs(raw);
        if (values.length === 0 || sealed || (options.expect !== undefined && options.expect !== length + 1)) return { first: 0, length, sealed };
        const ttl = storageTtl(options.ttlMs);
        await Promise.all(values.map((value, index) => storage.setItem(logEntryKey(prefix, length + 1 + index), value as never, ttl)));
        const after = length + values.length;
        await storage.setItem(lengthKey, options.seal ? -after : after, ttl);
        return { first: length + 1, length: after, sealed: options.seal === true };
      });
    },
    async publish(channel, message) {
      const listeners = [...(channels.get(channel) ?? [])];
      // Delivered on a later tick, as a network bus would: a publisher never runs its subscribers inline.
      if (listeners.length > 0) queueMicrotask(() => listeners.forEach((listener) => listener(message)));
      return listeners.length;
    },
    async subscribe(channel, listener) {
      let listeners = channels.get(channel);
      if (!listeners) channels.set(channel, (listeners = new Set()));
      listeners.add(listener);
      return async () => {
        listeners.delete(listener);
        if (listeners.size === 0 && channels.get(channel) === listeners) channels.delete(channel);
      };
    },
  };
}
