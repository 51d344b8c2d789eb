import { randomUUID } from "node:crypto";
import { createStorage, type Storage } from "unstorage";
import { HermesError } from "../protocol/index.ts";
import { type HermesStorage, type StorageCoordination } from "../plugin-api/index.ts";
import { indexes } from "./keys.ts";
import { KnownValues } from "./known-values.ts";
import { createLocalCoordination } from "./local-coordination.ts";
import { guardCoordination, guardDriver } from "./storage-guard.ts";
import { StorageHealth } from "./storage-health.ts";

/** A storage ready for the stores: the unstorage instance and its coordination. */
export interface OpenStorage {
  definition: HermesStorage;
  /** Every call retried briefly, then failed as 503 `storage_unavailable` (see `storage-guard.ts`). */
  storage: Storage;
  coordination: StorageCoordination;
  /** Up or down, from the calls made and from `check()` (the readiness probe). */
  health: StorageHealth;
  /** Closes the driver's connections and the coordination's. */
  close(): Promise<void>;
}

/** What a storage over its bound may give up: finished work a client can ask for again or do without. */
const sheddableIndexes = [indexes.responses, indexes.sessions, indexes.conversations, indexes.idempotency];

/**
 * Opens a storage and proves it works before the proxy takes a request: one write, read and delete
 * of a probe key. A storage that cannot be reached, opened or written fails here with one line saying
 * which and why (`createHermes` rejects, the CLI prints it and exits 1), not on the first request.
 */
export async function openStorage(definition: HermesStorage, options: { timeoutMs?: number } = {}): Promise<OpenStorage> {
  // A storage only this process writes: the in-process coordination remembers what it last read or
  // wrote, and every write the driver completes (whoever made it) tells it which key to forget. The
  // watch sits under the guard, so a write that landed after its caller gave up is still seen.
  const known = definition.exclusive && !definition.coordination ? new KnownValues() : undefined;
  const driver = known ? known.watch(definition.driver) : definition.driver;
  // The unguarded storage only probes: at start (so a failure names its real reason) and for readiness.
  const raw = createStorage({ driver });
  const health = new StorageHealth(raw, randomUUID());
  // The in-process map cannot be out of reach: guarding it would only cost each call a timer.
  const inProcess = definition.name === "memory";
  const storage = inProcess ? raw : createStorage({ driver: guardDriver(driver, health) });
  const coordination = definition.coordination
    ? guardCoordination(definition.coordination, health)
    : createLocalCoordination(storage, { overBudget: definition.overBudget, sheddable: sheddableIndexes, known });
  const close = async () => {
    await health.close();
    await Promise.allSettled([storage.dispose(), coordination.dispose?.()]);
  };
  const where = definition.description ?? definition.name;
  try {
    await withTimeout(probe(raw), options.timeoutMs ?? 10_000);
  } catch (error) {
    await close();
    const reason = error instanceof Error ? error.message : String(error);
    throw new HermesError(`storage ${where} is not usable: ${reason}`, { status: 503, code: "storage_unavailable" });
  }
  return { definition, storage, coordination, health, close };
}

async function probe(storage: Storage): Promise<void> {
  const key = `hermes-probe-${randomUUID()}`;
  await storage.setItem(key, "ok");
  const read = await storage.getItem(key);
  await storage.removeItem(key);
  if (read !== "ok") throw new Error("a value written could not be read back");
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
