import { resolve } from "node:path";
import { defineStorage, type HermesStorage } from "../../sdk/index.ts";
import { atomicFsDriver } from "./driver.ts";

export interface FsStorageOptions {
  /** The data directory, relative to the working directory or absolute; created on the first write. */
  base: string;
}

/** The lock file in the data directory (see `acquireProcessLock`). */
const lockFile = ".lock";

/**
 * `storage-fs`: one JSON file per record under a directory, written atomically (temporary file, then
 * rename), so state survives restarts and kill -9 and needs nothing installed. The default storage,
 * under `./.hermes` (or `$HERMES_HOME`). One process per directory, enforced as for SQLite: the
 * directory is locked (`.lock` in it) while a proxy uses it, a second process refuses to start with an
 * error naming the first, and a lock left by a process that died is taken over. Being the only writer,
 * the proxy starts an update of a record it last wrote from that record: a session turn writes its
 * record without reading it back. Several processes on shared state need Redis.
 *
 * @example
 * import fsStorage from "hermes-proxy/plugins/storage-fs";
 * export default defineConfig({ plugins: [fsStorage({ base: "/var/lib/hermes" })] }); // same as storage: "fs:/var/lib/hermes"
 */
export default function fsStorage(options: FsStorageOptions): HermesStorage {
  if (typeof options?.base !== "string" || options.base.trim() === "") throw new TypeError("storage-fs: base must be a directory path");
  const base = resolve(options.base);
  return defineStorage({ name: "fs", driver: atomicFsDriver({ base, lockFile }), description: `fs:${base}`, exclusive: true });
}
