/** What `StorageCoordination.append` did: the first position taken (0 when none), the length after, sealed or not. */
export interface LogAppend {
  first: number;
  length: number;
  sealed: boolean;
}

/** The key of a log entry, as `StorageCoordination.append` writes it. */
export function logEntryKey(prefix: string, position: number): string {
  return `${prefix}${String(position).padStart(8, "0")}`;
}

/** The key holding a log's length (negative once sealed), as `StorageCoordination.append` keeps it. */
export function logLengthKey(prefix: string): string {
  return `${prefix}length`;
}

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
   *
   * A coordination may remember the value it last read or wrote per key and start the next update
   * from it instead of reading the storage (the first-party ones do: Redis sends it as the
   * compare-and-set's expected value; the in-process one trusts it on a storage only this process
   * writes). So the value `change` gets, the one it returns and the one `update` resolves with are
   * shared with that memory: treat them as read-only — build the next value with a spread, never
   * mutate one, and copy a value you will go on changing before you hand it over.
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
  /**
   * Holds the leases of `ids` in `pool` until `leaseMs` from now, taking those not held yet: a pool of
   * leases with no limit (see `acquire` for a bounded one), whose lapsed leases `reclaim` hands out.
   */
  hold(pool: string, ids: readonly string[], leaseMs: number): Promise<void>;
  /**
   * Takes over up to `limit` leases of `pool` that lapsed (their holder stopped renewing them): each is
   * held again for `leaseMs` and returned, atomically, so that of several callers one gets each. The
   * caller deals with what the lease stood for, then releases it (or lets it lapse for another to retry).
   */
  reclaim(pool: string, leaseMs: number, limit: number): Promise<string[]>;
  /**
   * Appends `values` to the append-only log at `prefix`, in one atomic step: they take the positions
   * after the log's length (kept under `<prefix>length`), each stored as JSON under `<prefix><position>`
   * (eight digits, zero-padded; positions count from 1). Positions never collide and are never
   * rewritten: two appenders get different positions, whatever either read before.
   *
   * `expect`: append only if the first value would take this position (a writer numbering its own
   * entries). `seal`: nothing is appended after these values (a terminal entry). `ttlMs` applies to the
   * entries and the length. With no values it only reads the length. Resolves with the first position
   * taken (0 when nothing was: the log is sealed, or `expect` did not match), the length afterwards,
   * and whether the log is sealed.
   */
  append(prefix: string, values: readonly unknown[], options?: { expect?: number; seal?: boolean; ttlMs?: number }): Promise<LogAppend>;
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
