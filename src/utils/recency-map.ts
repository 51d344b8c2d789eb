/**
 * A `Map` whose `touch` moves a key to its end, so that iteration starts at the least recently
 * touched: an LRU's order with O(1) per step. Touching the key already at the end sets it in place:
 * deleting and re-inserting it would leave a hole that V8's ordered hash table later compacts by
 * allocating a new one, on every hit of a hot key (a busy session's record, its index entry).
 *
 * @example
 * const recent = new RecencyMap<number>();
 * recent.touch("a", 1);
 * recent.touch("b", 2);
 * recent.touch("a", 3);
 * [...recent.keys()]; // ["b", "a"]
 */
export class RecencyMap<V> extends Map<string, V> {
  /** The key at the end, while it is known to be there. */
  #newest: string | undefined;

  /** Sets `key` to `value` and makes it the most recent. */
  touch(key: string, value: V): this {
    if (key !== this.#newest) {
      super.delete(key);
      this.#newest = key;
    }
    return super.set(key, value);
  }

  override set(key: string, value: V): this {
    // A new key lands at the end; an existing one keeps its place.
    if (!this.has(key)) this.#newest = key;
    return super.set(key, value);
  }

  override delete(key: string): boolean {
    if (key === this.#newest) this.#newest = undefined;
    return super.delete(key);
  }

  override clear(): void {
    this.#newest = undefined;
    super.clear();
  }
}
