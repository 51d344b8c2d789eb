/** Makes a prefixed random id such as `chatcmpl-…` or `msg_…`; codecs take one as an argument so tests can fix it. */
export type NewId = (prefix: string) => string;

const hexByte = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, "0"));
/** Random bytes drawn from the platform's CSPRNG a page at a time: a request makes several ids. */
const pool = new Uint8Array(4096);
let next = pool.length;

/**
 * `prefix` + 32 hex characters (128 random bits) from the platform's CSPRNG. Read from a pool rather
 * than `crypto.randomUUID().replaceAll("-", "")`, which costs three times as much per id.
 */
export const randomId: NewId = (prefix) => {
  if (next + 16 > pool.length) {
    crypto.getRandomValues(pool);
    next = 0;
  }
  let id = prefix;
  for (const end = next + 16; next < end; next++) id += hexByte[pool[next]!];
  return id;
};
