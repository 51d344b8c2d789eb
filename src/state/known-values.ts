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

/** Characters that make unstorage's `normalizeKey` change a key: most keys have none, and are their own normal form. */
const unnormal = /[/\\?]|::|^:|:$/;

/** `key` as unstorage stores it, without three regular-expression passes when it is already so. */
const normal = (key: string): string => (unnormal.test(key) ? normalizeKey(key) : key);

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
    const entry = this.#entries.get(normal(key));
    return entry && "value" in entry ? entry : undefined;
  }

  /**
   * Before reading `key` (`writes` 0) or writing it (`writes` 1): what `settle` then remembers, unless
   * another write of the key completes meanwhile.
   */
  expect(key: string, writes: 0 | 1): Pending {
    const pending: Pending = { writes };
    this.#entries.set(normal(key), pending);
    return pending;
  }

  /** Remembers `value` for `key` if nothing but the announced write touched it since `expect`. */
  settle(key: string, pending: Pending, value: unknown): void {
    const normalized = normal(key);
    if (this.#entries.get(normalized) === pending && pending.writes === 0 && !pending.large) this.#entries.set(normalized, { value });
    else this.#entries.delete(normalized);
  }

  forget(key: string): void {
    this.#entries.delete(normal(key));
  }

  /** A write of `key` completed (undefined: of any key). */
  written(key: string | undefined): void {
    this.#written(key === undefined ? undefined : normal(key));
  }

  /** `written`, for a key already normalised (the driver's). */
  #written(normalized: string | undefined): void {
    if (normalized === undefined) return this.#entries.clear();
    const entry = this.#entries.get(normalized);
    if (entry === undefined) return;
    if ("writes" in entry && entry.writes > 0) entry.writes--;
    else this.#entries.delete(normalized);
  }

  /** The driver read or is writing `json` for `key`: a value that large is not kept. */
  #sized(key: string, json: unknown): void {
    if (typeof json !== "string" || json.length <= knownValueMaxChars) return;
    const entry = this.#entries.get(key);
    if (entry !== undefined && "writes" in entry) entry.large = true;
  }

  /**
   * `driver`, telling this memory of every write it completes (successful or not: it may have landed),
   * and of the size of what an update reads or writes. The driver gets keys unstorage already
   * normalised. A synchronous driver (memory's) is told at once, so a write costs no promise here.
   */
  watch(driver: Driver): Driver {
    const watched: Driver = Object.create(driver);
    const { getItem, setItem, setItemRaw, setItems, removeItem, clear } = driver;
    const sized = (key: string, json: unknown) => {
      this.#sized(key, json);
      return json;
    };
    /** Tells the memory of `key` (undefined: every key) once `call` is over, however it ended. */
    const settled = (key: string | undefined, call: () => unknown): unknown => {
      let result: unknown;
      try {
        result = call();
      } catch (error) {
        this.#written(key);
        throw error;
      }
      if (!(result instanceof Promise)) {
        this.#written(key);
        return result;
      }
      return result.finally(() => this.#written(key));
    };
    if (getItem)
      watched.getItem = (key, options) => {
        const json: unknown = getItem.call(driver, key, options);
        return (json instanceof Promise ? json.then((value: unknown) => sized(key, value)) : sized(key, json)) as ReturnType<typeof getItem>;
      };
    if (setItem)
      watched.setItem = (key, value, options) => {
        this.#sized(key, value);
        return settled(key, () => setItem.call(driver, key, value, options)) as ReturnType<typeof setItem>;
      };
    if (setItemRaw)
      watched.setItemRaw = (key, value, options) => {
        this.#sized(key, value);
        return settled(key, () => setItemRaw.call(driver, key, value, options)) as ReturnType<typeof setItemRaw>;
      };
    if (removeItem) watched.removeItem = (key, options) => settled(key, () => removeItem.call(driver, key, options)) as ReturnType<typeof removeItem>;
    if (setItems)
      watched.setItems = async (items, options) => {
        try {
          return await setItems.call(driver, items, options);
        } finally {
          for (const item of items) this.#written(item.key);
        }
      };
    if (clear) watched.clear = (base, options) => settled(undefined, () => clear.call(driver, base, options)) as ReturnType<typeof clear>;
    return watched;
  }
}
