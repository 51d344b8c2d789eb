import type { Redis } from "ioredis";
import { afterEach, expect, it } from "vitest";
import { type OpenStorage, openStorage } from "../../src/state/open-storage.ts";
import { storageFromSpec } from "../../src/state/select-storage.ts";
import { describeStorages } from "../helpers/storages.ts";

type Counter = { count: number };

/**
 * What `coordination.update` costs on each storage once it knows a key: memory, SQLite and fs (written
 * by this process only: a file or a directory under its process lock) start from the value they last
 * wrote; Redis sends the value it last saw (or, for a key it has not seen, none) as the
 * compare-and-set's expected value. Whatever it remembers, concurrent updates and writes made beside
 * them land exactly.
 */
describeStorages("coordination.update remembering what it wrote", (target) => {
  const opened: OpenStorage[] = [];
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((storage) => storage.close()));
  });
  /** Opens the storage at `spec` as the proxy does, counting the reads its driver answers. */
  const open = async (spec: string) => {
    const definition = await storageFromSpec(spec);
    const driver = definition.driver;
    const getItem = driver.getItem.bind(driver);
    const reads: string[] = [];
    driver.getItem = (key, options) => {
      reads.push(key);
      return getItem(key, options);
    };
    const storage = await openStorage(definition);
    opened.push(storage);
    return { ...storage, reads, driver };
  };
  const add = (storage: OpenStorage, key = "counters:a") => storage.coordination.update<Counter>(key, (current) => ({ count: (current?.count ?? 0) + 1 }));
  const trusted = target.name !== "redis";

  it("lands 50 concurrent updates of one key exactly, and reads the key back only where other processes may write it", async () => {
    const storage = await open(target.spec());
    const results = await Promise.all(Array.from({ length: 50 }, () => add(storage)));
    expect(results.map((result) => result!.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index + 1));
    expect(await storage.storage.getItem("counters:a")).toEqual({ count: 50 });

    storage.reads.length = 0;
    for (let turn = 0; turn < 5; turn++) await add(storage);
    expect(await storage.storage.getItem("counters:a")).toEqual({ count: 55 });
    // The driver read made by the check above is the only one where the coordination trusts its memory
    // (Redis's coordination reads through its own client, never the driver).
    expect(storage.reads.filter((key) => key.endsWith("counters:a")).length).toBe(trusted || target.name === "redis" ? 1 : 6);
  });

  it("sees every write made beside it through the storage: a set, a removal, a bulk set", async () => {
    const storage = await open(target.spec());
    await add(storage);
    await storage.storage.setItem("counters:a", { count: 10 });
    expect(await add(storage)).toEqual({ count: 11 });
    await storage.storage.removeItem("counters:a");
    expect(await add(storage)).toEqual({ count: 1 });
    await storage.storage.setItems([{ key: "counters:a", value: { count: 20 } }]);
    // Interleaved: updates and outside writes in flight together still end in a value one of them wrote last.
    const racing = await Promise.all([add(storage), add(storage), add(storage)]);
    expect(racing.map((value) => value!.count)).toEqual([21, 22, 23]);
    expect(await storage.storage.getItem("counters:a")).toEqual({ count: 23 });
  });

  if (target.name === "redis")
    it("keeps counts exact across two processes alternating on one key: one script call when it knew the value, no GET", async () => {
      const spec = target.spec();
      const [one, two] = [await open(spec), await open(spec)];
      // Each storage has its own connection, as two processes do; spy on each ioredis client.
      const calls = { get: 0, scripts: 0 };
      for (const storage of [one, two]) {
        await storage.storage.getItem("warm-up");
        const client = storage.driver.getInstance!() as Redis & Record<string, (...args: unknown[]) => unknown>;
        const get = client.get;
        const compareAndSet = client.hermesCompareAndSet!;
        client.get = function (this: unknown, ...args: unknown[]) {
          if (this === client && String(args[0]).endsWith(":counters:a")) calls.get++;
          return (get as (...args: unknown[]) => unknown).apply(this, args);
        } as never;
        client.hermesCompareAndSet = function (this: unknown, ...args: unknown[]) {
          if (this === client) calls.scripts++;
          return compareAndSet.apply(this, args);
        };
      }
      // Nothing is known yet: each presumes the key absent. The first is right (one script call); the
      // second is told the current value by the script and retries on it (two), with no GET either way.
      await add(one);
      expect(calls).toEqual({ get: 0, scripts: 1 });
      await add(two);
      expect(calls).toEqual({ get: 0, scripts: 3 });

      // The same process again: one script call, its expected value the one it wrote.
      await add(two);
      expect(calls).toEqual({ get: 0, scripts: 4 });

      // Alternating: the remembered value is stale each time; the script answers with the current one,
      // and the retry needs no GET.
      for (let turn = 0; turn < 10; turn++) await add(turn % 2 === 0 ? one : two);
      expect(calls).toEqual({ get: 0, scripts: 4 + 20 });

      // Both at once, 25 each: none lost, and still no GET.
      const results = await Promise.all(Array.from({ length: 50 }, (_, index) => add(index % 2 === 0 ? one : two)));
      expect(calls.get).toBe(0);
      expect(results.map((value) => value!.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index + 14));
      expect(await two.storage.getItem("counters:a")).toEqual({ count: 63 });
    });
});
