/**
 * For storage plugins whose backend one process may use at a time (a SQLite file, a directory of
 * files): `acquireProcessLock(lockPath, description)` refuses a second process with a clear error and
 * takes over a lock left by one that died. See `plugins/storage-sqlite` for its use.
 */
export { acquireProcessLock } from "../src/utils/process-lock.ts";
