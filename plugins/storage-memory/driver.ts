import { defineDriver } from "unstorage";

export interface BoundedMemoryDriverOptions {
  /** What the stored keys and values may add up to before the storage says it is over its bound. */
  maxBytes: number;
}

/**
 * unstorage's memory driver (a Map), counting what it holds: each key and value by its length (a
 * string's characters, a binary value's bytes), which is what the proxy's JSON records cost. It evicts
 * nothing itself — it cannot tell a stored response the proxy may let go from a scheduled job it must
 * keep — and says when it is over its bound (`overBudget`), for the proxy to give up its oldest
 * retained records.
 */
export const boundedMemoryDriver = defineDriver((options: BoundedMemoryDriverOptions) => {
  const data = new Map<string, unknown>();
  let bytes = 0;
  const sizeOf = (key: string, value: unknown): number =>
    key.length + (typeof value === "string" ? value.length : ArrayBuffer.isView(value) ? value.byteLength : (JSON.stringify(value)?.length ?? 0));
  const set = (key: string, value: unknown) => {
    const previous = data.get(key);
    if (previous !== undefined) bytes -= sizeOf(key, previous);
    data.set(key, value);
    bytes += sizeOf(key, value);
  };
  const remove = (key: string) => {
    const previous = data.get(key);
    if (previous === undefined) return;
    bytes -= sizeOf(key, previous);
    data.delete(key);
  };
  return {
    name: "memory",
    getInstance: () => ({ data, bytes: () => bytes, overBudget: () => bytes > options.maxBytes }),
    hasItem: (key) => data.has(key),
    getItem: (key) => (data.get(key) ?? null) as never,
    getItemRaw: (key) => (data.get(key) ?? null) as never,
    setItem: (key, value) => set(key, value),
    setItemRaw: (key, value) => set(key, value),
    removeItem: (key) => remove(key),
    getKeys: () => [...data.keys()],
    clear: () => {
      data.clear();
      bytes = 0;
    },
    dispose: () => {
      data.clear();
      bytes = 0;
    },
  };
});
