import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { describe, expect, it } from "vitest";
import { HermesError } from "../../../src/protocol/index.ts";
import { createLocalCoordination } from "../../../src/state/local-coordination.ts";
import { guardCoordination, guarded, guardDriver, retryBudgetMs } from "../../../src/state/storage-guard.ts";
import { StorageHealth } from "../../../src/state/storage-health.ts";

const refused = () => Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:6379"), { code: "ECONNREFUSED" });
const quiet = { info: () => undefined, error: () => undefined };

describe("the storage guard", () => {
  it("retries a failing call within the bound, then answers 503 storage_unavailable with Retry-After", async () => {
    let calls = 0;
    const started = performance.now();
    const failure = await guarded(
      async () => {
        calls++;
        throw refused();
      },
      { kind: "write" },
    ).catch((error: unknown) => error);
    const elapsed = performance.now() - started;
    expect(HermesError.is(failure)).toBe(true);
    expect(failure).toMatchObject({ status: 503, code: "storage_unavailable", headers: { "retry-after": "1" } });
    expect((failure as HermesError).cause).toBeInstanceOf(Error);
    expect(calls).toBe(4);
    expect(elapsed).toBeGreaterThanOrEqual(retryBudgetMs - 10);
    expect(elapsed).toBeLessThan(retryBudgetMs + 250);
  });

  it("absorbs a blip: a call that fails, then succeeds, resolves", async () => {
    let calls = 0;
    const value = await guarded(
      async () => {
        if (++calls < 3) throw refused();
        return "stored";
      },
      { kind: "write" },
    );
    expect(value).toBe("stored");
    expect(calls).toBe(3);
  });

  it("does not retry a non-idempotent call whose command may have run (a timeout), only one that certainly did not", async () => {
    let calls = 0;
    await expect(
      guarded(
        async () => {
          calls++;
          throw new Error("Command timed out");
        },
        { kind: "write", idempotent: false },
      ),
    ).rejects.toMatchObject({ code: "storage_unavailable" });
    expect(calls).toBe(1);
    calls = 0;
    await expect(
      guarded(
        async () => {
          calls++;
          throw new Error("Stream isn't writeable and enableOfflineQueue options is false");
        },
        { kind: "write", idempotent: false },
      ),
    ).rejects.toMatchObject({ code: "storage_unavailable" });
    expect(calls).toBe(4);
  });

  it("cuts a call that does not answer short after its timeout (a hung storage), and does not retry it past the bound", async () => {
    let calls = 0;
    const started = performance.now();
    await expect(
      guarded(
        () => {
          calls++;
          return new Promise<never>(() => undefined);
        },
        { kind: "write", timeoutMs: retryBudgetMs + 100 },
      ),
    ).rejects.toMatchObject({ code: "storage_unavailable", cause: { name: "StorageTimeoutError" } });
    expect(calls).toBe(1);
    expect(performance.now() - started).toBeLessThan(retryBudgetMs + 300);
  });

  it("lets a HermesError from inside through untouched", async () => {
    const own = new HermesError("taken", { status: 409, code: "session_exists" });
    await expect(guarded(async () => Promise.reject(own), { kind: "write" })).rejects.toBe(own);
  });

  it("fails on the first attempt while the storage is known down, and a successful write marks it up again", async () => {
    const lines: string[] = [];
    const health = new StorageHealth(createStorage({ driver: memoryDriver() }), "p1", {
      log: { info: (line) => lines.push(line), error: (line) => lines.push(line) },
    });
    let down = true;
    const driver = guardDriver(
      {
        ...memoryDriver(),
        async setItem() {
          if (down) throw refused();
        },
      },
      health,
    );
    await expect(driver.setItem!("a", "1", {})).rejects.toMatchObject({ code: "storage_unavailable" });
    expect(health.down).toBe(true);
    const started = performance.now();
    await expect(driver.setItem!("a", "1", {})).rejects.toMatchObject({ code: "storage_unavailable" });
    expect(performance.now() - started).toBeLessThan(20);
    down = false;
    await driver.setItem!("a", "1", {});
    expect(health.down).toBe(false);
    // One line when it went down (not one per failed call), one when it came back.
    expect(lines).toEqual([
      "storage is unavailable: connect ECONNREFUSED 127.0.0.1:6379; requests that need it answer 503 storage_unavailable",
      expect.stringMatching(/^storage is available again \(down for \d+\.\d s\)$/),
    ]);
  });

  it("guards a coordination: an update failing is a 503, stopping a subscription never throws", async () => {
    const coordination = createLocalCoordination(createStorage({ driver: memoryDriver() }));
    let failing = false;
    const flaky = guardCoordination({
      ...coordination,
      update: (key, change, options) => (failing ? Promise.reject(refused()) : coordination.update(key, change, options)),
      subscribe: async (channel, listener) => {
        await coordination.subscribe(channel, listener);
        return () => Promise.reject(refused());
      },
    });
    expect(await flaky.update<number>("n", () => 1)).toBe(1);
    failing = true;
    await expect(flaky.update<number>("n", () => 2)).rejects.toMatchObject({ code: "storage_unavailable" });
    const unsubscribe = await flaky.subscribe("c", () => undefined);
    await expect(unsubscribe()).resolves.toBeUndefined();
  });
});

describe("the storage health", () => {
  it("probes with a write, read and delete, and reports down within its timeout when the storage hangs", async () => {
    const storage = createStorage({ driver: memoryDriver() });
    const health = new StorageHealth(storage, "p1", { timeoutMs: 100, log: quiet });
    expect((await health.check()).status).toBe("ok");
    expect(await storage.getKeys()).toEqual([]);

    const hanging = createStorage({ driver: { ...memoryDriver(), setItem: () => new Promise<void>(() => undefined) } });
    const stuck = new StorageHealth(hanging, "p2", { timeoutMs: 100, log: quiet });
    const started = performance.now();
    const state = await stuck.check();
    expect(performance.now() - started).toBeLessThan(500);
    expect(state).toMatchObject({ status: "down", error: "no answer within 100 ms" });
  });

  it("retries a `whenBack` task until the storage takes it, and drops it at close", async () => {
    const health = new StorageHealth(createStorage({ driver: memoryDriver() }), "p1", { log: quiet });
    let attempts = 0;
    await new Promise<void>((resolve) =>
      health.whenBack(
        "a task",
        async () => {
          if (++attempts < 3) throw refused();
          resolve();
        },
        { everyMs: 10 },
      ),
    );
    expect(attempts).toBe(3);

    let dropped = 0;
    health.whenBack(
      "a task that never lands",
      async () => {
        dropped++;
        throw refused();
      },
      { everyMs: 10 },
    );
    await health.close();
    const before = dropped;
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(dropped).toBe(before);
  });

  it("waits at close for an attempt already under way, so no write lands after the storage is closed", async () => {
    const health = new StorageHealth(createStorage({ driver: memoryDriver() }), "p1", { log: quiet });
    let landed = false;
    let started!: () => void;
    const under = new Promise<void>((resolve) => (started = resolve));
    health.whenBack("a slow write", async () => {
      started();
      await new Promise((resolve) => setTimeout(resolve, 100));
      landed = true;
    });
    await under;
    await health.close();
    expect(landed).toBe(true);
  });
});
