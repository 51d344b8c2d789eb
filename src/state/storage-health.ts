import type { Storage } from "unstorage";
import { describeError, type StorageHealthReporter } from "./storage-guard.ts";
import { keys } from "./keys.ts";
import { type Logger, logger } from "../utils/logger.ts";

export interface StorageState {
  status: "ok" | "down";
  /** Epoch ms of the last change of status. */
  since: number;
  /** Why it is down (one line, no credentials: the driver's own message). */
  error: string | null;
  /** Epoch ms of the last probe, 0 before the first. */
  checkedAt: number;
}

export interface StorageHealthOptions {
  /** A probe slower than this counts as down. @default 1_000 */
  timeoutMs?: number;
  now?: () => number;
  /** Where state changes are written. @default the proxy's logger */
  log?: Pick<Logger, "info" | "error">;
}

/**
 * Whether the storage can be used, for the readiness probe (`GET /health/ready`) and for the guard
 * around every storage call. Two sources: the calls themselves (a call that failed after its retries
 * marks it down; a write that succeeds marks it up again, so an instance recovers with its first
 * successful write), and `check()`, a probe that writes, reads and deletes one key. Each change of
 * status is logged once, not once per failed call.
 */
export class StorageHealth implements StorageHealthReporter {
  #state: StorageState;
  #probing: Promise<StorageState> | undefined;
  readonly #storage: Storage;
  readonly #timeoutMs: number;
  readonly #now: () => number;
  readonly #log: Pick<Logger, "info" | "error">;
  readonly #probeKey: string;
  readonly #wakeups = new Map<() => void, NodeJS.Timeout>();
  /** `whenBack` tasks under way, awaited by `close()`. */
  readonly #running = new Set<Promise<void>>();
  #closed = false;

  constructor(storage: Storage, instance: string, options: StorageHealthOptions = {}) {
    this.#storage = storage;
    this.#timeoutMs = options.timeoutMs ?? 1_000;
    this.#now = options.now ?? Date.now;
    this.#log = options.log ?? logger;
    this.#probeKey = keys.healthProbe(instance);
    this.#state = { status: "ok", since: this.#now(), error: null, checkedAt: 0 };
  }

  get state(): Readonly<StorageState> {
    return this.#state;
  }

  get down(): boolean {
    return this.#state.status === "down";
  }

  succeeded(kind: "read" | "write"): void {
    // A read alone does not prove the storage takes writes (a read-only file system reads fine).
    if (kind === "write" && this.#state.status === "down") {
      const downFor = this.#now() - this.#state.since;
      this.#state = { ...this.#state, status: "ok", since: this.#now(), error: null };
      this.#log.info(`storage is available again (down for ${(downFor / 1000).toFixed(1)} s)`);
      // What waits for the storage goes now, not at its next tick: a name or key let go at once.
      for (const [wake, timer] of [...this.#wakeups]) {
        clearTimeout(timer);
        wake();
      }
    }
  }

  failed(error: unknown): void {
    const reason = describeError(error);
    if (this.#state.status === "down" && this.#state.error === reason) return;
    if (this.#state.status === "ok") this.#state = { ...this.#state, status: "down", since: this.#now(), error: reason };
    else this.#state = { ...this.#state, error: reason };
    this.#log.error(`storage is unavailable: ${reason}; requests that need it answer 503 storage_unavailable`);
  }

  /**
   * Runs `task` (a write that must land eventually: a record that says what the client was told) now
   * and, while it fails, again every `everyMs` (and as soon as a write succeeds again) for up to
   * `forMs`; then gives up with one log line. Owned here: never a rejection, and dropped at `close()`.
   */
  whenBack(label: string, task: () => Promise<void>, options: { everyMs?: number; forMs?: number } = {}): void {
    const everyMs = options.everyMs ?? 1_000;
    const until = this.#now() + (options.forMs ?? 60_000);
    const attempt = async (): Promise<void> => {
      if (this.#closed) return;
      try {
        await task();
      } catch (error) {
        if (this.#closed) return;
        if (this.#now() + everyMs > until) {
          this.#log.error(`${label}: gave up, the storage stayed unavailable (${describeError(error)})`);
          return;
        }
        await new Promise<void>((resolve) => {
          const wake = () => {
            this.#wakeups.delete(wake);
            resolve();
          };
          const timer = setTimeout(wake, everyMs);
          timer.unref();
          this.#wakeups.set(wake, timer);
        });
        return attempt();
      }
    };
    const running: Promise<void> = attempt()
      .catch((error: unknown) => this.#log.error(`${label} failed: ${describeError(error)}`))
      .finally(() => this.#running.delete(running));
    this.#running.add(running);
  }

  /**
   * Stops every `whenBack` task: the storage is closing. Resolves once an attempt already under way
   * has settled, so no write lands after the storage is closed (or a test has removed its files).
   */
  async close(): Promise<void> {
    this.#closed = true;
    for (const [wake, timer] of this.#wakeups) {
      clearTimeout(timer);
      wake();
    }
    await Promise.allSettled([...this.#running]);
  }

  /** Probes the storage now (concurrent callers share one probe) and resolves with the state after it. */
  check(): Promise<Readonly<StorageState>> {
    return (this.#probing ??= this.#probe().finally(() => (this.#probing = undefined)));
  }

  async #probe(): Promise<StorageState> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer within ${this.#timeoutMs} ms`)), this.#timeoutMs);
    });
    const token = String(this.#now());
    const probe = (async () => {
      await this.#storage.setItem(this.#probeKey, token, { ttl: 60 });
      const read = await this.#storage.getItem(this.#probeKey);
      await this.#storage.removeItem(this.#probeKey);
      if (String(read) !== token) throw new Error("a value written could not be read back");
    })();
    try {
      await Promise.race([probe, timeout]);
      this.succeeded("write");
    } catch (error) {
      // A late probe must not become an unhandled rejection.
      probe.catch(() => undefined);
      this.failed(error);
    } finally {
      clearTimeout(timer);
    }
    this.#state = { ...this.#state, checkedAt: this.#now() };
    return this.#state;
  }
}
