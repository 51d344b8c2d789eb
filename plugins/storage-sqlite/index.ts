import { resolve } from "node:path";
import type { Driver } from "unstorage";
import { acquireProcessLock, defineStorage, type HermesStorage, lazyDriver, withOptionalPackage } from "../../sdk/index.ts";
import { preparedOnce } from "./prepared-once.ts";

export interface SqliteStorageOptions {
  /** The database file, relative to the working directory or absolute; it and its directory are created. */
  path: string;
  /** The table the records go in. @default "hermes" */
  table?: string;
}

/**
 * `storage-sqlite`: every record a row of one table in a SQLite file, through unstorage's db0 driver
 * and db0's better-sqlite3 connector, in WAL mode: a committed write survives kill -9, and a row is
 * written whole or not at all. Needs `better-sqlite3` installed (`npm install better-sqlite3`; it
 * builds from source where no prebuilt binary fits). One process per file, enforced: the file is
 * locked (`<file>.lock`) while a proxy has it open, a second process refuses to start with an error
 * naming the first, and a lock left by a process that died is taken over. Several processes on shared
 * state need Redis, which shares conversation claims, idempotency claims, run limits and job claims.
 *
 * @example
 * import sqliteStorage from "hermes-proxy/plugins/storage-sqlite";
 * export default defineConfig({ plugins: [sqliteStorage({ path: "/var/lib/hermes/state.db" })] }); // same as storage: "sqlite:/var/lib/hermes/state.db"
 */
export default function sqliteStorage(options: SqliteStorageOptions): HermesStorage {
  if (typeof options?.path !== "string" || options.path.trim() === "") throw new TypeError("storage-sqlite: path must be a file path");
  const path = resolve(options.path);
  const driver = lazyDriver("sqlite", () => openSqlite(path, options.table ?? "hermes"));
  // Locked to this process (see openSqlite): what it last wrote is what the file holds.
  return defineStorage({ name: "sqlite", driver, description: `sqlite:${path}`, exclusive: true });
}

async function openSqlite(path: string, tableName: string): Promise<Driver> {
  const release = acquireProcessLock(`${path}.lock`, `storage-sqlite: ${path}`);
  try {
    return await openLocked(path, tableName, release);
  } catch (error) {
    release();
    throw error;
  }
}

async function openLocked(path: string, tableName: string, release: () => void): Promise<Driver> {
  const [{ createDatabase }, { default: betterSqlite3 }, { default: db0Driver }] = await Promise.all([
    import("db0"),
    import("db0/connectors/better-sqlite3"),
    import("unstorage/drivers/db0"),
  ]);
  const database = createDatabase(preparedOnce(betterSqlite3({ path })));
  try {
    // WAL: readers never block the writer, and a commit is durable once it returns (for a process crash).
    // busy_timeout short: better-sqlite3 is synchronous, so a wait for another connection's lock
    // blocks the whole process; one process owns the file (the lock above), so only an outside
    // connection can hold it, and then a quick 503 beats a frozen proxy.
    // db0 imports better-sqlite3 (an optional peer) on this first statement.
    await withOptionalPackage("better-sqlite3", "storage-sqlite", () =>
      database.exec("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL; PRAGMA busy_timeout = 200;"),
    );
  } catch (error) {
    await database.dispose().catch(() => undefined);
    throw error;
  }
  // unstorage's db0 driver warns once that it is experimental; its version is pinned and it passes
  // testStorage here, so the warning would only be noise in the proxy's log.
  (globalThis as Record<string, unknown>).__unstorage_db0_experimental_warning__ = true;
  const driver = db0Driver({ database, tableName });
  return {
    ...driver,
    dispose: async () => {
      await database.dispose();
      release();
    },
  };
}
