import { createHash } from "node:crypto";
import type { Storage } from "unstorage";
import { HermesError } from "../protocol/index.ts";
import { keys } from "./keys.ts";

/** A response worth replaying: status, the JSON body and the headers the route set. */
export interface StoredReply {
  status: number;
  body: unknown;
  headers: Record<string, string>;
}

interface IdempotencyRecord {
  fingerprint: string;
  reply: StoredReply;
  expiresAt: number;
}

export interface IdempotencyOptions {
  /** How long a reply is replayed. @default 300_000 (5 minutes, as the original server) */
  ttlMs?: number;
  now?: () => number;
}

/**
 * `Idempotency-Key` on non-stream requests. The same key with the same body replays the first reply
 * (same id); overlapping requests share one computation; the same key with another body is a 409.
 * Only successful replies are kept, so a retry after a failure computes again.
 */
export function createIdempotencyStore(storage: Storage, options: IdempotencyOptions = {}) {
  const ttlMs = options.ttlMs ?? 300_000;
  const now = options.now ?? Date.now;
  const inFlight = new Map<string, { fingerprint: string; reply: Promise<StoredReply> }>();

  return {
    async run(
      scope: string,
      key: string,
      body: string,
      compute: () => Promise<StoredReply>,
    ): Promise<StoredReply & { replayed: boolean }> {
      const storageKey = keys.idempotency(scope, digest(key));
      const fingerprint = digest(body);
      const pending = inFlight.get(storageKey);
      if (pending) {
        assertSameBody(pending.fingerprint, fingerprint);
        return { ...(await pending.reply), replayed: true };
      }
      const record = await storage.getItem<IdempotencyRecord>(storageKey);
      if (record && record.expiresAt > now()) {
        assertSameBody(record.fingerprint, fingerprint);
        return { ...record.reply, replayed: true };
      }
      const reply = compute().then(async (reply) => {
        if (reply.status < 300)
          await storage.setItem(storageKey, { fingerprint, reply, expiresAt: now() + ttlMs } satisfies IdempotencyRecord);
        return reply;
      });
      inFlight.set(storageKey, { fingerprint, reply });
      try {
        return { ...(await reply), replayed: false };
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
