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
  readonly #entries = new Map<string, T>();
  readonly #maxEntries: number;
  readonly #bytes: RecordCacheBytes<T> | undefined;
  /** Each entry's weight, kept only under a byte bound: an unbounded cache pays nothing for it. */
  readonly #sizes: Map<string, number> | undefined;
  #totalBytes = 0;
  /** The key last moved to the back (by `get` or `set`), while it is still there. */
  #newest: string | undefined;

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
    if (value === undefined) return undefined;
    // Already the most recent: moving it would only leave a hole the map must later compact (a
    // rehash, allocated), on every hit of a hot key.
    if (key !== this.#newest) {
      this.#entries.delete(key);
      this.#entries.set(key, value);
      this.#newest = key;
    }
    return value;
  }

  /**
   * Keeps `value` as the most recently used. `evict: false` keeps it only where it fits without
   * dropping another: a walk over more records than the cache holds then keeps the first ones it
   * read for the next walk, instead of each read dropping one the same walk needs further on.
   */
  set(key: string, value: T, options?: { evict?: boolean }): void {
    // The newest entry is replaced where it stands: deleting and re-adding it would leave a hole.
    const inPlace = key === this.#newest;
    if (inPlace) this.#totalBytes -= this.#sizes?.get(key) ?? 0;
    else this.delete(key);
    const bytes = this.#bytes?.sizeOf(value) ?? 0;
    const maxBytes = this.#bytes?.maxBytes ?? Infinity;
    const others = this.#entries.size - (inPlace ? 1 : 0);
    if (bytes > maxBytes || (options?.evict === false && (others >= this.#maxEntries || this.#totalBytes + bytes > maxBytes))) {
      if (inPlace) this.#remove(key);
      return;
    }
    this.#entries.set(key, value);
    this.#newest = key;
    this.#sizes?.set(key, bytes);
    this.#totalBytes += bytes;
    while (this.#entries.size > this.#maxEntries || this.#totalBytes > maxBytes) {
      const oldest = this.#entries.keys().next();
      if (oldest.done) break;
      this.delete(oldest.value);
    }
  }

  delete(key: string): void {
    if (!this.#entries.has(key)) return;
    this.#totalBytes -= this.#sizes?.get(key) ?? 0;
    this.#remove(key);
  }

  /** Drops `key` and its weight's record (its weight is already off the total). */
  #remove(key: string): void {
    if (key === this.#newest) this.#newest = undefined;
    this.#entries.delete(key);
    this.#sizes?.delete(key);
  }

  clear(): void {
    this.#newest = undefined;
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
