import { randomFillSync } from "node:crypto";

/** Makes a prefixed random id such as `chatcmpl-…` or `msg_…`; codecs take one as an argument so tests can fix it. */
export type NewId = (prefix: string) => string;

/** Random bytes for 256 ids, drawn from the platform's CSPRNG at once; every byte is used once. */
const pool = Buffer.allocUnsafe(16 * 256);
let offset = pool.length;

/**
 * `prefix` + 32 hex characters: 128 random bits from the platform's CSPRNG. Read out of a pool as one
 * hex string: `randomUUID().replaceAll("-", "")` builds its 36 characters pair by pair and then
 * copies them, about 1 KiB of garbage an id and several ids a request (`--alloc-sites`,
 * `responses-json-50`: 6.3 of 94 KiB per request).
 */
export const randomId: NewId = (prefix) => {
  if (offset === pool.length) {
    randomFillSync(pool);
    offset = 0;
  }
  const id = prefix + pool.toString("hex", offset, offset + 16);
  offset += 16;
  return id;
};
