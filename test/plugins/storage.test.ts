import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fsLiteDriver from "unstorage/drivers/fs-lite";
import memoryDriver from "unstorage/drivers/memory";
import { afterAll, describe, expect, it } from "vitest";
import { defineStorage } from "../../sdk/index.ts";
import { testStorage } from "../../sdk/testing.ts";

describe("memory driver", () => {
  testStorage({ create: () => defineStorage({ name: "memory", driver: memoryDriver() }) });
});

describe("fs-lite driver in a temp dir", () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const dir of dirs) await rm(dir, { recursive: true, force: true });
  });
  testStorage({
    create: async () => {
      const dir = await mkdtemp(join(tmpdir(), "hermes-storage-"));
      dirs.push(dir);
      return defineStorage({ name: "fs-lite", driver: fsLiteDriver({ base: dir }) });
    },
  });
});

describe("defineStorage", () => {
  it("brands a driver and refuses what is not one", () => {
    const storage = defineStorage({ name: "memory", driver: memoryDriver() });
    expect(storage.kind).toBe("storage");
    expect(Object.isFrozen(storage)).toBe(true);
    expect(() => defineStorage({ name: "", driver: memoryDriver() })).toThrow("defineStorage: name must be a non-empty string");
    expect(() => defineStorage({ name: "x", driver: {} as never })).toThrow("defineStorage(x): the driver has no getItem()");
    expect(() => defineStorage({ name: "x", driver: { getItem() {}, hasItem() {}, getKeys() {} } as never })).toThrow("read-only");
  });
});
