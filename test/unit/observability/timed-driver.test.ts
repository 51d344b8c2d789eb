import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { describe, expect, it } from "vitest";
import { timeDriver } from "../../../src/observability/timed-driver.ts";
import type { StorageOperationInfo } from "../../../src/plugin-api/index.ts";

describe("timeDriver", () => {
  it("reports each data call once it settles, failures included, and keeps the driver's other properties", async () => {
    const operations: StorageOperationInfo[] = [];
    const driver = memoryDriver();
    const timed = timeDriver(driver, { name: "memory", onOperation: (operation) => operations.push(operation), requestId: () => "req_1" });
    expect(timed.name).toBe(driver.name);
    const storage = createStorage({ driver: timed });
    await storage.setItem("a", { b: 1 });
    expect(await storage.getItem("a")).toEqual({ b: 1 });
    await storage.removeItem("a");
    expect(operations.map((operation) => operation.operation)).toEqual(["setItem", "getItem", "removeItem"]);
    expect(operations[0]).toMatchObject({ driver: "memory", failed: false, requestId: "req_1", durationMs: expect.any(Number), startedAt: expect.any(Number) });

    const failing = timeDriver(
      { ...driver, getItem: async () => Promise.reject(new Error("down")) },
      { name: "flaky", onOperation: (operation) => operations.push(operation) },
    );
    await expect(createStorage({ driver: failing }).getItem("x")).rejects.toThrow("down");
    expect(operations.at(-1)).toMatchObject({ driver: "flaky", operation: "getItem", failed: true, requestId: undefined });
  });
});
