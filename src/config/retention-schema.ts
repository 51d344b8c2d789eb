import { z } from "zod";

const day = 24 * 60 * 60 * 1000;

const policy = (ttlMs: number, maxEntries: number) =>
  z
    .strictObject({
      /** How long a record is kept after its last write. */
      ttlMs: z.number().int().positive().default(ttlMs),
      /** Records kept at most; beyond it the least recently written go first. */
      maxEntries: z.number().int().positive().default(maxEntries),
    })
    .prefault({});

/**
 * Eviction per store: a time to live after the last write, and a size bound. Enforced through an
 * index per store (no scans), and checked on every read.
 */
export const retentionConfigSchema = z.strictObject({
  /** Stored responses (`previous_response_id`). @default { ttlMs: 2_592_000_000 (30 days), maxEntries: 100_000 } */
  responses: policy(30 * day, 100_000),
  /** Conversation names, counted from their latest turn. @default { ttlMs: 2_592_000_000 (30 days), maxEntries: 100_000 } */
  conversations: policy(30 * day, 100_000),
  /** Sessions of every format (`/api/sessions`): a metadata record, plus its history unless a Responses chain holds it. @default { ttlMs: 604_800_000 (7 days), maxEntries: 10_000 } */
  sessions: policy(7 * day, 10_000),
  /** `Idempotency-Key` replies. @default { ttlMs: 300_000 (5 minutes), maxEntries: 10_000 } */
  idempotency: policy(5 * 60 * 1000, 10_000),
  /** Runs API runs and their logs; a finished run is kept `agent.runRetentionMs`. @default { maxEntries: 10_000 } */
  runs: z.strictObject({ maxEntries: z.number().int().positive().default(10_000) }).prefault({}),
});
