import { resolve } from "node:path";
import { defineStorage, type HermesStorage } from "../../sdk/index.ts";
import { atomicFsDriver } from "./driver.ts";

export interface FsStorageOptions {
  /** The data directory, relative to the working directory or absolute; created on the first write. */
  base: string;
}

/**
 * `storage-fs`: one JSON file per record under a directory, written atomically (temporary file, then
 * rename), so state survives restarts and kill -9 and needs nothing installed. The default storage,
 * under `./.hermes` (or `$HERMES_HOME`). One process per directory: other processes can read what it
 * wrote, but only Redis shares conversation claims, idempotency claims and run limits.
 *
 * @example
 * import fsStorage from "hermes-proxy/plugins/storage-fs";
 * export default defineConfig({ plugins: [fsStorage({ base: "/var/lib/hermes" })] }); // same as storage: "fs:/var/lib/hermes"
 */
export default function fsStorage(options: FsStorageOptions): HermesStorage {
  if (typeof options?.base !== "string" || options.base.trim() === "") throw new TypeError("storage-fs: base must be a directory path");
  const base = resolve(options.base);
  return defineStorage({ name: "fs", driver: atomicFsDriver({ base }), description: `fs:${base}` });
}
