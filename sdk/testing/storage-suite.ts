import { createStorage, prefixStorage, type Storage, type StorageValue } from "unstorage";
import { afterEach, beforeEach, describe, expect, it, type TestContext } from "vitest";
import type { HermesStorage } from "../../src/plugin-api/index.ts";
import { coordinationTests } from "./coordination-suite.ts";
import { type SuiteSkip, skipReason } from "./skips.ts";

/** What `testStorage` needs: a way to make the storage under test. */
export interface StorageSuiteOptions {
  /** A fresh, empty storage for each test (a new temp dir, a flushed database, …). */
  create: () => HermesStorage | Promise<HermesStorage>;
  /** The plugin provides `coordination` (several processes share it): run its conformance tests too. */
  coordinated?: boolean;
  skip?: readonly SuiteSkip[];
}

/**
 * The conformance suite for a storage plugin, run over the unstorage API the proxy's stores use:
 * values of every JSON kind, has/remove, keys with and without a prefix, namespaces that stay apart,
 * bulk reads, removing a prefix key by key, and TTL when the driver declares it — and, when the plugin
 * provides `coordination`, atomic updates, eviction indexes, slot pools and messages. Call it inside a
 * vitest file.
 *
 * @example
 * // test/redis-storage.test.ts
 * import { testStorage } from "hermes-proxy/sdk/testing";
 * import redisStorage from "../src/index.ts";
 *
 * testStorage({ create: () => redisStorage({ url: process.env.REDIS_URL ?? "redis://127.0.0.1:6379", base: `test-${Date.now()}` }) });
 */
export function testStorage(options: StorageSuiteOptions): void {
  let definition: HermesStorage;
  let storage: Storage;
  beforeEach(async () => {
    definition = await options.create();
    storage = createStorage({ driver: definition.driver });
  });
  afterEach(async () => {
    for (const key of await storage.getKeys()) await storage.removeItem(key);
    await storage.dispose();
    await definition.coordination?.dispose?.();
  });
  const test = (name: string, body: (context: TestContext) => Promise<void>) => {
    const reason = skipReason(options.skip, name);
    if (reason === undefined) it(name, body);
    else it.skip(`${name} (skipped: ${reason})`, body);
  };

  describe("storage (hermes-proxy conformance)", () => {
    test("is a storage with a name", async () => {
      expect(definition.kind).toBe("storage");
      expect(definition.name.length).toBeGreaterThan(0);
    });

    test("round-trips strings, numbers, booleans and objects", async () => {
      const values = { text: "hello: world", number: 42.5, flag: false, object: { nested: { list: [1, "two", null] } } };
      for (const [key, value] of Object.entries(values)) await storage.setItem(`values:${key}`, value);
      for (const [key, value] of Object.entries(values)) expect(await storage.getItem(`values:${key}`)).toEqual(value);
      expect(await storage.getItem("values:missing")).toBeNull();
    });

    test("overwrites, tells what it has, and removes", async () => {
      await storage.setItem("item", "first");
      await storage.setItem("item", "second");
      expect(await storage.getItem("item")).toBe("second");
      expect(await storage.hasItem("item")).toBe(true);
      await storage.removeItem("item");
      expect(await storage.hasItem("item")).toBe(false);
      expect(await storage.getItem("item")).toBeNull();
    });

    // A key is never also the prefix of another: the fs drivers map `:` onto directories, where a
    // file `runs/b` and a directory `runs/b/` cannot both exist. The proxy's stores keep to that.
    test("lists keys, all of them and under a prefix", async () => {
      for (const key of ["runs:a", "runs:b:events:1", "runs:b:events:2", "responses:a", "top"]) await storage.setItem(key, key);
      expect((await storage.getKeys()).sort()).toEqual(["responses:a", "runs:a", "runs:b:events:1", "runs:b:events:2", "top"]);
      expect((await storage.getKeys("runs:")).sort()).toEqual(["runs:a", "runs:b:events:1", "runs:b:events:2"]);
      expect((await storage.getKeys("runs:b:events")).sort()).toEqual(["runs:b:events:1", "runs:b:events:2"]);
      expect(await storage.getKeys("nothing:")).toEqual([]);
    });

    test("keeps namespaces apart", async () => {
      const one = prefixStorage(storage, "plugins:one");
      const two = prefixStorage(storage, "plugins:two");
      await one.setItem("notes", "of one");
      await two.setItem("notes", "of two");
      expect(await one.getItem("notes")).toBe("of one");
      expect(await two.getItem("notes")).toBe("of two");
      expect(await one.getKeys()).toEqual(["notes"]);
      expect(await storage.getItem("plugins:one:notes")).toBe("of one");
    });

    test("reads several items at once", async () => {
      await storage.setItem("bulk:1", { n: 1 });
      await storage.setItem("bulk:2", { n: 2 });
      const items = await storage.getItems(["bulk:1", "bulk:2", "bulk:3"]);
      const byKey = Object.fromEntries(items.map(({ key, value }) => [key, value]));
      expect(byKey["bulk:1"]).toEqual({ n: 1 });
      expect(byKey["bulk:2"]).toEqual({ n: 2 });
      expect(byKey["bulk:3"] ?? null).toBeNull();
    });

    test("writes several items at once, each with its ttl, where getItem finds them", async () => {
      await storage.setItems<StorageValue>(
        [
          { key: "batch:1", value: { n: 1 } },
          { key: "batch:2", value: "two", options: { ttl: 60 } },
        ],
        { ttl: 30 },
      );
      expect(await storage.getItem("batch:1")).toEqual({ n: 1 });
      expect(await storage.getItem("batch:2")).toBe("two");
      expect((await storage.getKeys("batch:")).sort()).toEqual(["batch:1", "batch:2"]);
      await storage.setItems([]);
    });

    test("removes every key under a prefix and leaves the rest", async () => {
      for (const key of ["gone:a", "gone:b:c", "kept:a"]) await storage.setItem(key, key);
      for (const key of await storage.getKeys("gone:")) await storage.removeItem(key);
      expect(await storage.getKeys("gone:")).toEqual([]);
      expect(await storage.getItem("kept:a")).toBe("kept:a");
    });

    test("expires items given a ttl where the driver has TTLs (flags.ttl), and keeps them where it has none", async () => {
      // A capability, not a service. A driver without TTLs must still take the option (the proxy passes
      // it on every write) and keep the item: the proxy's records carry their own expiry.
      const expires = definition.driver.flags?.ttl === true;
      await storage.setItem("short", "lived", { ttl: 1 });
      expect(await storage.getItem("short")).toBe("lived");
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await storage.getItem("short")).toBe(expires ? null : "lived");
    });

    if (options.coordinated)
      coordinationTests(test, () => {
        if (!definition.coordination) throw new Error(`${definition.name} has no coordination, but coordinated: true was given`);
        return { storage, coordination: definition.coordination, ttl: definition.driver.flags?.ttl === true };
      });
  });
}
