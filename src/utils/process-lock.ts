import { closeSync, mkdirSync, openSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { dirname } from "node:path";

/** The holder recorded in a lock file. */
interface Holder {
  pid: number;
  host: string;
  since: string;
}

/**
 * Takes `path` as a lock for this process: a file created exclusively, holding the process id and
 * host. For a storage that only one process may use at a time (SQLite, a files directory): without
 * shared claims, two processes on one file silently lose turns, run an idempotency key twice and fire
 * a job twice. A lock left by a process that died (kill -9) is taken over; one held by a live process
 * throws an error naming it. Returns the function that releases the lock (idempotent).
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
      let released = false;
      return () => {
        if (released) return;
        released = true;
        try {
          if (readHolder(path)?.pid === process.pid) unlinkSync(path);
        } catch {
          // Already gone: nothing to release.
        }
      };
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST" || attempt > 0) throw error;
      const holder = readHolder(path);
      if (holder && isAlive(holder))
        throw new Error(
          `${what} is in use by another hermes-proxy process (pid ${holder.pid} on ${holder.host}, since ${holder.since}): it serves one process at a time. Stop that one, or use Redis storage to run several processes on shared state.`,
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

/** A holder on another host cannot be checked and counts as alive; on this host, its process must exist. */
function isAlive(holder: Holder): boolean {
  if (holder.host !== hostname()) return true;
  try {
    process.kill(holder.pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
