/**
 * A map that forgets its oldest entries past a size: request spans stay findable a while after their
 * request ended, so that the detached work a request started (a Runs API run, a background response)
 * still parents its spans under it, without keeping every request forever.
 */
export class RecentMap<K, V> {
  readonly #entries = new Map<K, V>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  get(key: K): V | undefined {
    return this.#entries.get(key);
  }

  set(key: K, value: V): void {
    this.#entries.delete(key);
    this.#entries.set(key, value);
    if (this.#entries.size > this.#max) this.#entries.delete(this.#entries.keys().next().value as K);
  }
}
