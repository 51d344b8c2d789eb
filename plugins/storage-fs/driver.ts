import { randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { defineDriver } from "unstorage";
import { acquireProcessLock } from "../../sdk/index.ts";

export interface AtomicFsOptions {
  /** The directory everything is stored under; created on the first write. */
  base: string;
  /**
   * A file in `base` held as this process's lock while the driver is in use (taken by its first
   * operation, released by `dispose`): a second process on the directory fails with an error naming
   * the first. Its name starts with a dot, which no key segment does, so it is never a key.
   */
  lockFile?: string | undefined;
}

/** In-flight writes are hidden files beside their target: never listed as keys, never read as records. */
const tempPrefix = ".tmp-";

const missing = (error: NodeJS.ErrnoException) => {
  if (error.code === "ENOENT" || error.code === "EISDIR" || error.code === "ENOTDIR") return null;
  throw error;
};

/**
 * unstorage's fs-lite layout (one file per key, `:` as directories) with two changes: a write goes to
 * a temporary file that is then renamed over the target, so a reader (or a restart after kill -9) sees
 * the old record or the new one, never half of one; and listing a prefix reads that prefix's directory
 * only, not the whole tree.
 */
export const atomicFsDriver = defineDriver((options: AtomicFsOptions) => {
  const base = resolve(options.base);
  const { lockFile } = options;
  let releaseLock: (() => void) | undefined;
  /** Takes the lock before the first operation (synchronously: one check per call after that). */
  const locked = () => {
    if (lockFile !== undefined && releaseLock === undefined) releaseLock = acquireProcessLock(join(base, lockFile), `storage-fs: ${base}`);
  };
  const pathOf = (key: string) => {
    locked();
    const segments = key.split(":");
    if (segments.some((segment) => segment === "." || segment === ".."))
      throw new Error(`[storage-fs] invalid key ${JSON.stringify(key)}: it must not contain . or .. segments`);
    return join(base, ...segments);
  };

  const list = async (dir: string, prefix: string[]): Promise<string[]> => {
    const entries = await fs.readdir(dir, { withFileTypes: true }).catch(missing);
    if (!entries) return [];
    const found: string[] = [];
    for (const entry of entries) {
      // Temporary files and the lock: a key segment never starts with a dot (keys.ts encodes it).
      if (entry.name.startsWith(".")) continue;
      if (entry.isDirectory()) found.push(...(await list(join(dir, entry.name), [...prefix, entry.name])));
      else found.push([...prefix, entry.name].join(":"));
    }
    return found;
  };
  // A prefix ending in ":" names a directory; a partial last segment lists its parent (unstorage filters).
  const directoryOf = (prefix: string) => prefix.split(":").slice(0, -1).filter(Boolean);

  return {
    name: "fs",
    options,
    flags: { maxDepth: true },
    async hasItem(key) {
      return (await fs.stat(pathOf(key)).catch(missing))?.isFile() ?? false;
    },
    async getItem(key) {
      return fs.readFile(pathOf(key), "utf8").catch(missing);
    },
    async setItem(key, value) {
      const target = pathOf(key);
      const temp = join(dirname(target), `${tempPrefix}${randomUUID()}`);
      await fs.mkdir(dirname(target), { recursive: true });
      try {
        await fs.writeFile(temp, value, "utf8");
        await fs.rename(temp, target);
      } catch (error) {
        await fs.rm(temp, { force: true });
        throw error;
      }
    },
    async removeItem(key) {
      await fs.unlink(pathOf(key)).catch(missing);
    },
    async getKeys(prefix = "") {
      locked();
      const segments = directoryOf(prefix);
      return list(join(base, ...segments), segments);
    },
    async clear(prefix = "") {
      locked();
      const segments = directoryOf(prefix);
      if (segments.length === 0) {
        for (const entry of (await fs.readdir(base).catch(missing)) ?? []) {
          if (entry !== lockFile) await fs.rm(join(base, entry), { recursive: true, force: true });
        }
      } else await fs.rm(join(base, ...segments), { recursive: true, force: true });
    },
    dispose() {
      releaseLock?.();
      releaseLock = undefined;
    },
  };
});
