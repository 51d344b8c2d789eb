import { closeSync, mkdirSync, openSync, readFileSync, statSync, unlinkSync, utimesSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";

/** The holder recorded in a lock file. */
interface Holder {
  pid: number;
  host: string;
  since: string;
}

/** How often a holder touches its lock file, and how long untouched makes a lock of another host stale. */
const refreshMs = 10_000;
const staleMs = 30_000;

/** The lock files this process holds: a second claim from within it is refused, and a file naming its pid but not in here is stale. */
const held = new Set<string>();

/**
 * Takes `path` as a lock for this process: a file created exclusively, holding the process id and
 * host. For a storage that only one process may use at a time (SQLite, a files directory): without
 * shared claims, two processes on one file silently lose turns, run an idempotency key twice and fire
 * a job twice. A lock held by a live process throws an error naming it. One left by a process that
 * died is taken over:
 *
 * - on this host, when its process is gone, or when it names this very process id without this
 *   process holding it (a container restarted after a crash runs as the same pid 1);
 * - from another host (a recreated container has a new host name), when its holder has not touched it
 *   for `staleMs`: a holder touches its lock every `refreshMs`.
 *
 * Returns the function that releases the lock (idempotent).
 *
 * @example
 * const release = acquireProcessLock("/var/lib/hermes/state.db.lock", "storage-sqlite: /var/lib/hermes/state.db");
 */
export function acquireProcessLock(path: string, what: string): () => void {
  mkdirSync(dirname(path), { recursive: true });
  for (let attempt = 0; ; attempt++) {
    try {
      const fd = openSync(path, "wx");
      const holder: Holder = { pid: process.pid, host: hostname(), since: new Date().toISOString() };
      writeSync(fd, JSON.stringify(holder));
      closeSync(fd);
      held.add(path);
      const refresh = setInterval(() => touch(path), refreshMs).unref();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        clearInterval(refresh);
        held.delete(path);
        try {
          if (isOurs(readHolder(path))) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      const holder = readHolder(path);
      if (holder && (held.has(path) || isAlive(holder, path)))
        throw new Error(
          `${what} is in use by another hermes-proxy process (pid ${holder.pid} on ${holder.host}, since ${holder.since}): it serves one process at a time. Stop that one, or use Redis storage to run several processes on shared state.${holder.host === hostname() ? "" : ` (A lock of another host is taken over once it has not been refreshed for ${staleMs / 1000} s.)`}`,
          { cause: error },
        );
      // The holder died without releasing it (kill -9, a crash): take it over.
      unlinkSync(path);
    }
  }
}

function readHolder(path: string): Holder | undefined {
  try {
    const value = JSON.parse(readFileSync(path, "utf8")) as Partial<Holder>;
    return typeof value.pid === "number" && typeof value.host === "string" ? { pid: value.pid, host: value.host, since: String(value.since) } : undefined;
  } catch {
    return undefined;
  }
}

/** The lock file names this process (whether or not this process holds it). */
function isOurs(holder: Holder | undefined): boolean {
  return holder !== undefined && holder.pid === process.pid && holder.host === hostname();
}

/** Marks the lock as still held; a lock taken over meanwhile (this process was frozen past `staleMs`) is left to its new holder. */
function touch(path: string): void {
  try {
    if (!isOurs(readHolder(path))) return;
    const now = new Date();
    utimesSync(path, now, now);
  } catch {
    // Gone or unreadable: the next claim decides.
  }
}

/**
 * On another host, alive while it keeps touching the lock; on this host, its process must exist (and
 * not be this one, which does not hold it: `held` was checked first).
 */
function isAlive(holder: Holder, path: string): boolean {
  if (holder.host !== hostname()) {
    try {
      return Date.now() - statSync(path).mtimeMs < staleMs;
    } catch {
      return false;
    }
  }
  if (isOurs(holder)) return false;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
