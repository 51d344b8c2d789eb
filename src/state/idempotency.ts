import { createHash, randomUUID } from "node:crypto";
import type { Storage } from "unstorage";
import { HermesError } from "../protocol/index.ts";
import { type StorageCoordination } from "../plugin-api/index.ts";
import { indexes, keys } from "./keys.ts";
import { expired, isObject } from "./records.ts";
import { createRetention, type RetentionPolicy } from "./retention.ts";
import { logger } from "../utils/logger.ts";

/** A response worth replaying: status, the JSON body and the headers the route set. */
export interface StoredReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

/** A key being computed (by `owner`, until `expiresAt` unless renewed) or its stored reply. */
type IdempotencyRecord =
  | { state: "pending"; fingerprint: string; owner: string; expiresAt: number }
  | { state?: "done"; fingerprint: string; reply: StoredReply; expiresAt: number };

export interface IdempotencyOptions {
  coordination: StorageCoordination;
  /** How long a reply is replayed (5 minutes on the original server), and how many are kept. */
  retention: RetentionPolicy;
  /** How long a computation holds its key without renewing. @default 60_000 */
  pendingMs?: number;
  /** Retries a write once the storage is back (`StorageHealth.whenBack`): a claim the storage did not let go of. */
  settleLater?: (label: string, task: () => Promise<void>) => void;
  now?: () => number;
}

type Outcome = StoredReply & { replayed: boolean };

/**
 * `Idempotency-Key` on non-stream requests. The same key with the same body replays the first reply
 * (same id); the same key with another body is a 409. A computation first claims its key with a
 * compare-and-set, so processes sharing the storage never compute one key twice: overlapping requests
 * in one process share the computation, one on another process gets 409 `idempotency_key_in_use`
 * with `Retry-After` until the reply is stored. Only successful replies are kept, so a retry after a
 * failure computes again.
 */
export function createIdempotencyStore(storage: Storage, options: IdempotencyOptions) {
  const { coordination } = options;
  const now = options.now ?? Date.now;
  const pendingMs = options.pendingMs ?? 60_000;
  const { ttlMs } = options.retention;
  const inFlight = new Map<string, { fingerprint: string; outcome: Promise<Outcome> }>();
  const retention = createRetention(coordination, indexes.idempotency, options.retention, async (evicted) => {
    for (const key of evicted) await storage.removeItem(key);
  });
  const valid = (value: IdempotencyRecord | null): IdempotencyRecord | null =>
    isObject(value) && typeof value.fingerprint === "string" && !expired(value, now()) ? value : null;
  const ours = (value: IdempotencyRecord | null, owner: string) => value?.state === "pending" && value.owner === owner;

  const claimAndCompute = async (key: string, fingerprint: string, compute: () => Promise<StoredReply>): Promise<Outcome> => {
    const owner = randomUUID();
    const claimed = await coordination.update<IdempotencyRecord>(
      key,
      (current) => (valid(current) ? undefined : { state: "pending", fingerprint, owner, expiresAt: now() + pendingMs }),
      { ttlMs: pendingMs },
    );
    if (claimed && !ours(claimed, owner)) {
      assertSameBody(claimed.fingerprint, fingerprint);
      if (claimed.state !== "pending") return { ...claimed.reply, replayed: true };
      throw new HermesError("A request with this Idempotency-Key is still being processed; retry shortly", {
        status: 409,
        code: "idempotency_key_in_use",
        param: "Idempotency-Key",
        headers: { "retry-after": "1" },
      });
    }
    const renewal = setInterval(() => {
      coordination
        .update<IdempotencyRecord>(key, (current) => (ours(current, owner) ? { ...current!, expiresAt: now() + pendingMs } : undefined), { ttlMs: pendingMs })
        .catch((error: unknown) => logger.error("renewing an idempotency claim failed:", error));
    }, pendingMs / 3);
    renewal.unref();
    const settle = (next: IdempotencyRecord | null, ttl: number) =>
      coordination.update<IdempotencyRecord>(key, (current) => (ours(current, owner) ? next : undefined), { ttlMs: ttl });
    try {
      const reply = await compute();
      if (reply.status < 300) {
        // Stored before the reply goes out: a retry must replay it, never compute it again. When the
        // storage does not take it, the client gets the storage's 503 instead of the reply.
        const expiresAt = now() + ttlMs;
        const stored = await settle({ state: "done", fingerprint, reply, expiresAt }, ttlMs);
        if (stored?.state === "done")
          await retention.written(key, expiresAt).catch((error: unknown) => logger.error("indexing an idempotency record failed:", error));
      } else await settle(null, pendingMs);
      return { ...reply, replayed: false };
    } catch (error) {
      // Let the key go, so a retry computes it; one the storage did not let go of is let go once it is
      // back, not held until its claim lapses (a retry meanwhile gets 409 idempotency_key_in_use).
      await settle(null, pendingMs).catch(() => options.settleLater?.("releasing an Idempotency-Key", async () => void (await settle(null, pendingMs))));
      throw error;
    } finally {
      clearInterval(renewal);
    }
  };

  return {
    async run(scope: string, key: string, body: string, compute: () => Promise<StoredReply>): Promise<Outcome> {
      const storageKey = keys.idempotency(scope, digest(key));
      const fingerprint = digest(body);
      const pending = inFlight.get(storageKey);
      if (pending) {
        assertSameBody(pending.fingerprint, fingerprint);
        return { ...(await pending.outcome), replayed: true };
      }
      // Registered before the first await, so a request arriving meanwhile joins this one.
      const outcome = claimAndCompute(storageKey, fingerprint, compute);
      inFlight.set(storageKey, { fingerprint, outcome });
      try {
        return await outcome;
      } finally {
        inFlight.delete(storageKey);
      }
    },
  };
}

export type IdempotencyStore = ReturnType<typeof createIdempotencyStore>;

function digest(text: string): string {
  return createHash("sha256").update(text).digest("hex");
}

function assertSameBody(stored: string, received: string): void {
  if (stored !== received)
    throw new HermesError("This Idempotency-Key was already used with a different request body", {
      status: 409,
      code: "idempotency_key_conflict",
      param: "Idempotency-Key",
    });
}
