import { RecencyMap } from "./recency-map.ts";

/** A byte bound for a `RecordCache`: how much its entries may weigh together, and how to weigh one. */
export interface RecordCacheBytes<T> {
  maxBytes: number;
  sizeOf: (value: T) => number;
}

/**
 * A bounded least-recently-used map: a hit moves the entry to the back, a set beyond `maxEntries`
 * (or beyond `bytes.maxBytes`, when given) drops the front. Map iteration order is insertion order,
 * which makes both O(1) per entry dropped. A value heavier than the whole byte bound is not kept.
 */
export class RecordCache<T> {
  readonly #entries = new RecencyMap<T>();
  readonly #maxEntries: number;
  readonly #bytes: RecordCacheBytes<T> | undefined;
  /** Each entry's weight, kept only under a byte bound: an unbounded cache pays nothing for it. */
  readonly #sizes: Map<string, number> | undefined;
  #totalBytes = 0;

  constructor(maxEntries: number, bytes?: RecordCacheBytes<T>) {
    this.#maxEntries = maxEntries;
    this.#bytes = bytes;
    this.#sizes = bytes && new Map();
  }

  get size(): number {
    return this.#entries.size;
  }

  /** What the entries weigh together by `sizeOf` (0 without a byte bound). */
  get bytes(): number {
    return this.#totalBytes;
  }

  get(key: string): T | undefined {
    const value = this.#entries.get(key);
    if (value !== undefined) this.#entries.touch(key, value);
    return value;
  }

  /**
   * Keeps `value` as the most recently used. `evict: false` keeps it only where it fits without
   * dropping another: a walk over more records than the cache holds then keeps the first ones it
   * read for the next walk, instead of each read dropping one the same walk needs further on.
   */
  set(key: string, value: T, options?: { evict?: boolean }): void {
    const present = this.#entries.has(key);
    // What the other entries weigh and count, as if `key` were not there.
    const othersBytes = this.#totalBytes - (present ? (this.#sizes?.get(key) ?? 0) : 0);
    const others = this.#entries.size - (present ? 1 : 0);
    const bytes = this.#bytes?.sizeOf(value) ?? 0;
    const maxBytes = this.#bytes?.maxBytes ?? Infinity;
    if (bytes > maxBytes || (options?.evict === false && (others >= this.#maxEntries || othersBytes + bytes > maxBytes))) {
      this.delete(key);
      return;
    }
    this.#entries.touch(key, value);
    this.#sizes?.set(key, bytes);
    this.#totalBytes = othersBytes + bytes;
    while (this.#entries.size > this.#maxEntries || this.#totalBytes > maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: string): void {
    if (!this.#entries.delete(key) || !this.#sizes) return;
    this.#totalBytes -= this.#sizes.get(key) ?? 0;
    this.#sizes.delete(key);
  }

  clear(): void {
    this.#entries.clear();
    this.#sizes?.clear();
    this.#totalBytes = 0;
  }
}

/**
 * About what a JSON-like value holds on the heap, without serialising it: each string's length, 8
 * per number or boolean, and 32 per object or array plus 8 per slot. An estimate for bounding a
 * cache (the V8 heap figure differs by layout), walked without recursion so depth costs no stack.
 */
export function approximateBytes(value: unknown): number {
  let bytes = 0;
  const pending: unknown[] = [value];
  while (pending.length > 0) {
    const next = pending.pop();
    if (typeof next === "string") bytes += next.length;
    else if (typeof next === "number" || typeof next === "boolean") bytes += 8;
    else if (Array.isArray(next)) {
      bytes += 32 + 8 * next.length;
      for (const item of next) pending.push(item);
    } else if (typeof next === "object" && next !== null) {
      bytes += 32;
      for (const key in next) {
        bytes += 8 + key.length;
        pending.push((next as Record<string, unknown>)[key]);
      }
    }
  }
  return bytes;
}
