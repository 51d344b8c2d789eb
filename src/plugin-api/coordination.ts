/**
 * What several proxy processes on one storage need beyond get/set: atomic updates, eviction indexes,
 * leased slots and a message bus. A storage plugin that can share these between processes (Redis)
 * provides them with `shared: true`; for every other storage the proxy coordinates in process.
 * Keys are the storage's own keys (the same namespace `getItem` reads); index, pool and channel
 * names are private to the coordination.
 *
 * @example
 * const after = await coordination.update<{ count: number }>("counters:a", (current) => ({ count: (current?.count ?? 0) + 1 }));
 */
export interface StorageCoordination {
  /** True when every process on this storage sees the same updates, indexes, slots and messages. */
  readonly shared: boolean;
  /**
   * Atomic read-modify-write of one JSON value. `change` gets the current value (null when absent) and
   * returns the next one, `null` to delete it, or `undefined` to leave it as it is; it may run more than
   * once under contention, so it must be pure. Resolves with the value stored afterwards.
   */
  update<T>(key: string, change: (current: T | null) => T | null | undefined, options?: { ttlMs?: number }): Promise<T | null>;
  /**
   * Records that `key` (a storage key) was written and lives until `expiresAt` (epoch ms) in the eviction
   * index `index`, and returns the keys the index gave up: expired ones and the oldest beyond
   * `maxEntries`. The caller deletes those records. Amortised O(log n) per call: no scan.
   */
  track(index: string, key: string, expiresAt: number, maxEntries: number): Promise<string[]>;
  /** Forgets `key` in `index` (the record was deleted). */
  untrack(index: string, key: string): Promise<void>;
  /**
   * Takes a slot of `pool` for `id` until `leaseMs` from now, if fewer than `limit` unexpired slots are
   * taken (taking one already held renews it). Resolves false when the pool is full.
   */
  acquire(pool: string, id: string, limit: number, leaseMs: number): Promise<boolean>;
  /** Extends held slots' leases; slots no longer held are ignored. */
  renew(pool: string, ids: readonly string[], leaseMs: number): Promise<void>;
  release(pool: string, id: string): Promise<void>;
  /** Sends `message` to the channel's current subscribers; resolves with how many received it. */
  publish(channel: string, message: string): Promise<number>;
  /**
   * Listens on a channel; resolves once subscribed, with a function that stops listening. A bus that can
   * lose its connection calls `onInterrupted` when it does: messages published until it is back are
   * lost (the subscription itself resumes by itself), so a listener that must not miss one re-reads
   * what they would have said from storage.
   */
  subscribe(channel: string, listener: (message: string) => void, onInterrupted?: () => void): Promise<() => Promise<void>>;
  /** Closes connections the coordination opened itself (not the driver's). */
  dispose?(): Promise<void>;
}
