import { describe, expect, it } from "vitest";
import { approximateBytes, RecordCache } from "../../../src/utils/index.ts";

describe("RecordCache", () => {
  it("drops the least recently used entry beyond maxEntries", () => {
    const cache = new RecordCache<number>(2);
    cache.set("a", 1);
    cache.set("b", 2);
    expect(cache.get("a")).toBe(1);
    cache.set("c", 3);
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([1, undefined, 3]);
  });

  it("drops the least recently used entries beyond maxBytes, keeps the total, and never keeps one heavier than the bound", () => {
    const cache = new RecordCache<string>(100, { maxBytes: 10, sizeOf: (value) => value.length });
    cache.set("a", "aaaa");
    cache.set("b", "bbbb");
    expect(cache.bytes).toBe(8);
    cache.get("a");
    cache.set("c", "cccc");
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual(["aaaa", undefined, "cccc"]);
    expect(cache.bytes).toBe(8);
    // Replacing an entry counts its new weight only.
    cache.set("a", "aa");
    expect(cache.bytes).toBe(6);
    cache.set("huge", "x".repeat(11));
    expect(cache.get("huge")).toBeUndefined();
    expect(cache.size).toBe(2);
    // A replacement too heavy to keep drops the old value too: a stale copy must not stay behind.
    cache.set("a", "x".repeat(11));
    expect(cache.get("a")).toBeUndefined();
    cache.delete("c");
    expect(cache.bytes).toBe(0);
    cache.set("d", "dd");
    cache.clear();
    expect([cache.size, cache.bytes]).toEqual([0, 0]);
  });

  it("keeps a value set with evict: false only where it fits without dropping another", () => {
    const cache = new RecordCache<string>(3, { maxBytes: 10, sizeOf: (value) => value.length });
    cache.set("a", "aaaa");
    cache.set("b", "bbbb", { evict: false });
    cache.set("c", "cccc", { evict: false });
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual(["aaaa", "bbbb", undefined]);
    cache.set("c", "cc", { evict: false });
    cache.set("d", "d", { evict: false });
    expect([cache.size, cache.get("d")]).toEqual([3, undefined]);
  });
  it("replaces or reads its newest entry where it stands, and still drops the least recently used", () => {
    const cache = new RecordCache<string>(2, { maxBytes: 10, sizeOf: (value) => value.length });
    cache.set("a", "aaa");
    cache.set("b", "bbb");
    cache.get("b");
    cache.set("b", "bbbbb");
    expect(cache.bytes).toBe(8);
    cache.set("c", "c");
    expect([cache.get("a"), cache.get("b"), cache.get("c")]).toEqual([undefined, "bbbbb", "c"]);
    // The newest, replaced by a value heavier than the bound: gone, and its weight with it.
    cache.set("c", "x".repeat(11));
    expect([cache.get("c"), cache.bytes]).toEqual([undefined, 5]);
    // The newest, replaced with evict: false by a value that no longer fits: gone too.
    cache.set("b", "b");
    cache.set("d", "dddd");
    cache.set("d", "x".repeat(10), { evict: false });
    expect([cache.get("d"), cache.size, cache.bytes]).toEqual([undefined, 1, 1]);
  });
});

describe("approximateBytes", () => {
  it("counts strings by length, 8 per number or boolean, 32 per object or array plus 8 per slot and the keys", () => {
    expect(approximateBytes("hello")).toBe(5);
    expect(approximateBytes([1, true, null])).toBe(32 + 3 * 8 + 8 + 8);
    expect(approximateBytes({ text: "abc" })).toBe(32 + 8 + 4 + 3);
  });

  it("walks deep values without recursion", () => {
    let deep: unknown = "x";
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(approximateBytes(deep)).toBe(1 + 100_000 * 40);
  });
});
