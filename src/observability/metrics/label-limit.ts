/**
 * Bounds the values one label may take. Every value is a new time series in Prometheus, and some of
 * ours come from outside (a model name a client sends through to the upstream, an upstream's error
 * code): past `max` distinct values, new ones are counted as `other`. Undefined is `none`.
 *
 * @example
 * const models = new LabelLimit(100);
 * counter.labels(models.value(request.model)).inc();
 */
export class LabelLimit {
  readonly #seen = new Set<string>();
  readonly #max: number;

  constructor(max: number) {
    this.#max = max;
  }

  value(raw: string | undefined): string {
    if (raw === undefined || raw === "") return "none";
    if (this.#seen.has(raw)) return raw;
    if (this.#seen.size >= this.#max) return "other";
    this.#seen.add(raw);
    return raw;
  }
}

/**
 * A metric's labelled children, cached by their values in nested maps (no key string is built on a
 * hit): prom-client looks a child up by hashing its labels, and most calls repeat a handful of
 * combinations.
 */
export function childCache<Child>(metric: { labels(...values: string[]): Child }): (...values: string[]) => Child {
  const root = new Map<string, unknown>();
  return (...values) => {
    let level = root;
    const last = values.length - 1;
    for (let index = 0; index < last; index++) {
      let next = level.get(values[index]!) as Map<string, unknown> | undefined;
      if (next === undefined) level.set(values[index]!, (next = new Map()));
      level = next;
    }
    let child = level.get(values[last]!) as Child | undefined;
    if (child === undefined) level.set(values[last]!, (child = metric.labels(...values)));
    return child;
  };
}
