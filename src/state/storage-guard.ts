import type { Driver } from "unstorage";
import { HermesError } from "../protocol/index.ts";
import type { StorageCoordination } from "../plugin-api/index.ts";
import { logger } from "../utils/logger.ts";

/**
 * How a failing storage call is retried before it fails: again 25, 100 and 300 ms after it started, and
 * not at all once `retryBudgetMs` have passed (a call that hung until its timeout is not tried again).
 * A blip (Redis reconnecting, SQLite busy) is absorbed; an outage answers 503 `storage_unavailable`
 * within about a second (Redis commands also time out after 1 s). Once the storage is known to be down,
 * calls fail on their first attempt until one succeeds again.
 */
export const retryAtMs = [25, 100, 300] as const;
export const retryBudgetMs = 300;

/**
 * The longest one storage call may take, whatever the driver: a Redis that stopped answering, a hung
 * network file system. Bulk calls (listing keys, reading many records) get longer. A call past it fails
 * (and may still run later: it is not retried when that matters).
 */
export const callTimeoutMs = 1_000;
export const bulkTimeoutMs = 10_000;

/** A storage call that did not answer in time; it may still have run. */
export class StorageTimeoutError extends Error {
  constructor(ms: number) {
    super(`no answer within ${ms} ms`);
    this.name = "StorageTimeoutError";
  }
}

/** What a client is told when the storage cannot be used: 503 with `Retry-After`, the cause kept for the log. */
export function storageUnavailable(cause?: unknown): HermesError {
  return new HermesError("The storage is unavailable; nothing was stored. Retry shortly", {
    status: 503,
    code: "storage_unavailable",
    headers: { "retry-after": "1" },
    cause,
  });
}

export function isStorageUnavailable(error: unknown): error is HermesError {
  return HermesError.is(error) && error.code === "storage_unavailable";
}

/** The storage's state as the guard and the readiness probe see it; see `StorageHealth`. */
export interface StorageHealthReporter {
  /** True while the storage is known to be down: calls are not retried. */
  readonly down: boolean;
  succeeded(kind: "read" | "write"): void;
  failed(error: unknown): void;
}

/** Errors after which a command may still have run on the server: a non-idempotent call is not retried. */
function mayHaveRun(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  return error instanceof StorageTimeoutError || error.message === "Command timed out" || error.name === "MaxRetriesPerRequestError";
}

/** `call()`, failed with a StorageTimeoutError after `ms`; a late outcome of the call is dropped. */
async function within<T>(call: () => Promise<T>, ms: number | undefined): Promise<T> {
  if (ms === undefined) return call();
  const running = call();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new StorageTimeoutError(ms)), ms);
  });
  try {
    return await Promise.race([running, timeout]);
  } finally {
    clearTimeout(timer);
    running.catch(() => undefined);
  }
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/**
 * Runs one storage call, cut short after `timeoutMs`, with the bounded retry, and turns its final
 * failure into 503 `storage_unavailable`. A HermesError from inside (a store's own decision) passes through untouched.
 */
export async function guarded<T>(
  call: () => Promise<T>,
  options: { health?: StorageHealthReporter | undefined; kind: "read" | "write"; idempotent?: boolean; timeoutMs?: number | undefined },
): Promise<T> {
  const { health, kind, idempotent = true, timeoutMs } = options;
  const started = performance.now();
  for (let attempt = 0; ; attempt++) {
    try {
      const value = await within(call, timeoutMs);
      health?.succeeded(kind);
      return value;
    } catch (error) {
      if (HermesError.is(error)) throw error;
      const at = retryAtMs[attempt];
      const elapsed = performance.now() - started;
      const retry = at !== undefined && !health?.down && (idempotent || !mayHaveRun(error)) && elapsed < retryBudgetMs;
      if (!retry) {
        health?.failed(error);
        throw storageUnavailable(error);
      }
      await sleep(Math.max(0, at - elapsed));
    }
  }
}

/** The driver methods that touch data: whether they write, and how long they may take. */
const driverMethods = {
  hasItem: ["read", callTimeoutMs],
  getItem: ["read", callTimeoutMs],
  getItems: ["read", bulkTimeoutMs],
  getItemRaw: ["read", callTimeoutMs],
  getMeta: ["read", callTimeoutMs],
  getKeys: ["read", bulkTimeoutMs],
  setItem: ["write", callTimeoutMs],
  setItems: ["write", bulkTimeoutMs],
  setItemRaw: ["write", callTimeoutMs],
  removeItem: ["write", callTimeoutMs],
  clear: ["write", bulkTimeoutMs],
} as const;

/**
 * The driver with every data call guarded (retried briefly, then 503 `storage_unavailable`), so no
 * store, route or plugin ever sees a raw connection error. Each call is idempotent (a get, a whole-value
 * set, a delete), so a retry after a timeout is safe. Everything else is the driver's own.
 */
export function guardDriver(driver: Driver, health?: StorageHealthReporter): Driver {
  const wrapped: Driver = Object.create(driver);
  for (const [name, [kind, timeoutMs]] of Object.entries(driverMethods)) {
    const method = (driver as unknown as Record<string, unknown>)[name];
    if (typeof method !== "function") continue;
    (wrapped as unknown as Record<string, unknown>)[name] = (...args: unknown[]) =>
      guarded(async () => (method as (...args: unknown[]) => unknown).apply(driver, args), { health, kind, timeoutMs });
  }
  return wrapped;
}

/**
 * A plugin's coordination (Redis) guarded the same way. An update is retried only when its command
 * certainly did not run (its `change` might not be pure over a lost reply); a publish is never
 * retried (a message could arrive twice); stopping a subscription never throws (the connection it
 * belonged to is torn down or resubscribes by itself).
 */
export function guardCoordination(coordination: StorageCoordination, health?: StorageHealthReporter): StorageCoordination {
  const read = { health, kind: "read", timeoutMs: callTimeoutMs } as const;
  const write = { health, kind: "write", timeoutMs: callTimeoutMs } as const;
  return {
    shared: coordination.shared,
    update: (key, change, options) => guarded(() => coordination.update(key, change, options), { ...write, idempotent: false }),
    track: (index, key, expiresAt, maxEntries) => guarded(() => coordination.track(index, key, expiresAt, maxEntries), write),
    untrack: (index, key) => guarded(() => coordination.untrack(index, key), write),
    acquire: (pool, id, limit, leaseMs) => guarded(() => coordination.acquire(pool, id, limit, leaseMs), write),
    renew: (pool, ids, leaseMs) => guarded(() => coordination.renew(pool, ids, leaseMs), write),
    release: (pool, id) => guarded(() => coordination.release(pool, id), write),
    hold: (pool, ids, leaseMs) => guarded(() => coordination.hold(pool, ids, leaseMs), write),
    // Neither is retried: a lost reply may hide leases taken over or entries appended (the run log
    // recognises its own entries when it writes again).
    reclaim: (pool, leaseMs, limit) => guarded(() => coordination.reclaim(pool, leaseMs, limit), { ...write, idempotent: false }),
    append: (prefix, values, options) => guarded(() => coordination.append(prefix, values, options), { ...write, idempotent: false }),
    publish: (channel, message) => guarded(() => coordination.publish(channel, message), { ...read, idempotent: false }),
    async subscribe(channel, listener, onInterrupted) {
      // Not cut short: a subscription that completed after its caller gave up would stay behind.
      const unsubscribe = await guarded(() => coordination.subscribe(channel, listener, onInterrupted), { health, kind: "read" });
      return async () => {
        await unsubscribe().catch((error: unknown) => logger.error(`unsubscribing from ${channel} failed:`, describeError(error)));
      };
    },
    ...(coordination.dispose && { dispose: () => coordination.dispose!() }),
  };
}

/** What to log for an error: one line for the storage being unavailable (it is expected, and frequent in an outage), else the error itself. */
export function loggable(error: unknown): unknown {
  return isStorageUnavailable(error) ? describeError(error) : error;
}

/** One line for a storage error: its message, else its code or name (Node's AggregateError has no message). */
export function describeError(error: unknown): string {
  if (HermesError.is(error) && error.cause !== undefined) return describeError(error.cause);
  if (!(error instanceof Error)) return String(error);
  if (error.message) return error.message;
  const inner = (error as { errors?: unknown[] }).errors?.[0];
  if (inner instanceof Error && inner.message) return inner.message;
  return (error as { code?: string }).code ?? error.name;
}
