import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { describe, expect, it } from "vitest";
import { defineStorage, lazyDriver } from "../../sdk/index.ts";
import { testStorage } from "../../sdk/testing.ts";
import { KnownValues } from "../../src/state/known-values.ts";
import { createLocalCoordination } from "../../src/state/local-coordination.ts";

describe("the in-process coordination (memory, fs and SQLite use it)", () => {
  testStorage({
    coordinated: true,
    create: () => {
      const driver = memoryDriver();
      return defineStorage({ name: "memory-coordinated", driver, coordination: createLocalCoordination(createStorage({ driver })) });
    },
  });
});

describe("the in-process coordination on a storage only this process writes (memory, SQLite: it remembers values)", () => {
  testStorage({
    coordinated: true,
    create: () => {
      const known = new KnownValues();
      // The suite writes through its own unstorage instance: the watch is on the driver they share.
      const driver = known.watch(memoryDriver());
      return defineStorage({ name: "memory-known", driver, coordination: createLocalCoordination(createStorage({ driver }), { known }) });
    },
  });
});

describe("a lazy driver", () => {
  testStorage({ create: () => defineStorage({ name: "lazy-memory", driver: lazyDriver("lazy-memory", async () => memoryDriver()) }) });

  it("loads the real driver on first use only, and reports a failing load there", async () => {
    let loads = 0;
    const driver = lazyDriver("lazy", async () => {
      loads++;
      return memoryDriver();
    });
    await driver.dispose?.();
    expect(loads).toBe(0);
    await driver.setItem?.("a", "1", {});
    expect(await driver.getItem("a", {})).toBe("1");
    expect(loads).toBe(1);
    const broken = lazyDriver("broken", async () => {
      throw new Error("the library is not installed");
    });
    await expect(broken.getItem("a", {})).rejects.toThrow("the library is not installed");
  });

  it("writes a batch item by item where the driver has no setItems, and fails it only once every write has settled", async () => {
    const inner = memoryDriver();
    const landed: string[] = [];
    const driver = lazyDriver("one-by-one", async () => ({
      ...inner,
      setItems: undefined,
      async setItem(key: string, value: string) {
        if (key === "bad") throw new Error("refused");
        await new Promise((resolve) => setTimeout(resolve, 30));
        await inner.setItem!(key, value, {});
        landed.push(key);
      },
    }));
    await expect(
      driver.setItems!(
        [
          { key: "bad", value: "x" },
          { key: "slow", value: "y" },
        ],
        {},
      ),
    ).rejects.toThrow("refused");
    expect(landed).toEqual(["slow"]);
    await driver.setItems!([{ key: "good", value: "z" }], {});
    expect(await driver.getItem("good", {})).toBe("z");
  });
});

describe("defineStorage", () => {
  it("brands a driver and refuses what is not one", () => {
    const storage = defineStorage({ name: "memory", driver: memoryDriver(), description: "in memory" });
    expect(storage.kind).toBe("storage");
    expect(storage.description).toBe("in memory");
    expect(Object.isFrozen(storage)).toBe(true);
    expect(() => defineStorage({ name: "", driver: memoryDriver() })).toThrow("defineStorage: name must be a non-empty string");
    expect(() => defineStorage({ name: "x", driver: {} as never })).toThrow("defineStorage(x): the driver has no getItem()");
    expect(() => defineStorage({ name: "x", driver: { getItem() {}, hasItem() {}, getKeys() {} } as never })).toThrow("read-only");
    expect(() => defineStorage({ name: "x", driver: memoryDriver(), coordination: {} as never })).toThrow("coordination must implement StorageCoordination");
  });
});
