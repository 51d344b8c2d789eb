import { type Driver, normalizeKey } from "unstorage";
import { RecordCache } from "../utils/index.ts";

/** Keys whose last value the in-process coordination keeps. A miss only costs the read it saves. */
export const knownValuesMax = 1_000;

/**
 * A value stored as more JSON than this is not kept: the memory is for small records (session
 * metadata, counters, claims), and a thousand long histories or stored replies would be the very
 * memory the bounded stores give up.
 */
export const knownValueMaxChars = 16 * 1024;

/** An update's own write (or read) in flight: `writes` is how many completed writes of the key are its own. */
interface Pending {
  writes: number;
  /** The value's JSON, as the driver saw it, was longer than `knownValueMaxChars`. */
  large?: boolean;
}

type Entry = { value: unknown } | Pending;

/** The driver methods that change what is stored. */
const writeMethods = ["setItem", "setItemRaw", "setItems", "removeItem", "clear"] as const;

/**
 * What the in-process coordination last read or wrote per key, for a storage only this process writes
 * (`exclusive`: memory, a locked SQLite file), so that an update of a key it knows skips the read.
 *
 * It is trusted only while nothing else wrote the key: `watch(driver)` wraps the storage's driver, and
 * every write or removal the driver completes forgets its key — whichever unstorage instance, store
 * or plugin made it, a bulk `setItems` and a `clear` included — except the one write an update
 * announced with `expect`. A write completing while an update's own is in flight leaves nothing to
 * remember, so the next update reads. (unstorage's own `watch()` reports only `setItem`, `setItemRaw`
 * and `removeItem` — not `setItems` or `clear` — and only those made through its own instance; hence
 * the driver.)
 */
export class KnownValues {
  readonly #entries: RecordCache<Entry>;

  constructor(maxEntries = knownValuesMax) {
    this.#entries = new RecordCache(maxEntries);
  }

  /** The value `key` holds, as this process last read or wrote it; undefined when it is not known. */
  get(key: string): { value: unknown } | undefined {
    const entry = this.#entries.get(normalizeKey(key));
    return entry && "value" in entry ? entry : undefined;
  }

  /**
   * Before reading `key` (`writes` 0) or writing it (`writes` 1): what `settle` then remembers, unless
   * another write of the key completes meanwhile.
   */
  expect(key: string, writes: 0 | 1): Pending {
    const pending: Pending = { writes };
    this.#entries.set(normalizeKey(key), pending);
    return pending;
  }

  /** Remembers `value` for `key` if nothing but the announced write touched it since `expect`. */
  settle(key: string, pending: Pending, value: unknown): void {
    const normalized = normalizeKey(key);
    if (this.#entries.get(normalized) === pending && pending.writes === 0 && !pending.large) this.#entries.set(normalized, { value });
    else this.#entries.delete(normalized);
  }

  forget(key: string): void {
    this.#entries.delete(normalizeKey(key));
  }

  /** A write of `key` completed (undefined: of any key). */
  written(key: string | undefined): void {
    if (key === undefined) return this.#entries.clear();
    const normalized = normalizeKey(key);
    const entry = this.#entries.get(normalized);
    if (entry === undefined) return;
    if ("writes" in entry && entry.writes > 0) entry.writes--;
    else this.#entries.delete(normalized);
  }

  /** The driver read or is writing `json` for `key`: a value that large is not kept. */
  #sized(key: string, json: unknown): void {
    if (typeof json !== "string" || json.length <= knownValueMaxChars) return;
    const entry = this.#entries.get(normalizeKey(key));
    if (entry !== undefined && "writes" in entry) entry.large = true;
  }

  /**
   * `driver`, telling this memory of every write it completes (successful or not: it may have landed),
   * and of the size of what an update reads or writes.
   */
  watch(driver: Driver): Driver {
    const watched: Driver = Object.create(driver);
    const { getItem } = driver;
    if (typeof getItem === "function") {
      watched.getItem = async (key: string, options?: unknown) => {
        const json: unknown = await getItem.call(driver, key, options as never);
        this.#sized(key, json);
        return json;
      };
    }
    for (const name of writeMethods) {
      const method = driver[name] as ((...args: unknown[]) => unknown) | undefined;
      if (typeof method !== "function") continue;
      const keysOf =
        name === "setItems"
          ? (args: unknown[]) => (args[0] as { key: string }[]).map((item) => item.key)
          : name === "clear"
            ? () => [undefined]
            : (args: unknown[]) => [args[0] as string];
      (watched as unknown as Record<string, unknown>)[name] = async (...args: unknown[]) => {
        if (name === "setItem" || name === "setItemRaw") this.#sized(args[0] as string, args[1]);
        try {
          return await method.apply(driver, args);
        } finally {
          for (const key of keysOf(args)) this.written(key);
        }
      };
    }
    return watched;
  }
}
