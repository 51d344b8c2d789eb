import type { Storage } from "unstorage";
import { expect, type TestContext } from "vitest";
import { logEntryKey, type StorageCoordination } from "../../src/plugin-api/index.ts";

type Test = (name: string, body: (context: TestContext) => Promise<void>) => void;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Conformance of a storage's `coordination`, run by `testStorage` when the plugin provides one: what
 * the proxy relies on to run several processes as one.
 */
export function coordinationTests(test: Test, get: () => { storage: Storage; coordination: StorageCoordination; ttl: boolean }): void {
  test("coordination: updates are atomic, even 200 at once on one key, and land in the storage's own keys", async () => {
    const { storage, coordination } = get();
    const add = () => coordination.update<{ count: number }>("counters:a", (current) => ({ count: (current?.count ?? 0) + 1 }));
    await Promise.all(Array.from({ length: 200 }, add));
    expect(await storage.getItem("counters:a")).toEqual({ count: 200 });
    expect(await coordination.update("counters:a", () => undefined)).toEqual({ count: 200 });
    expect(await coordination.update("counters:a", () => null)).toBeNull();
    expect(await storage.hasItem("counters:a")).toBe(false);
  });

  test("coordination: an update starts from what is stored, whatever was written beside it", async () => {
    // A coordination may remember what it last wrote (see `StorageCoordination.update`); a write,
    // removal, bulk write or clear made through the storage must still be what the next update sees.
    const { storage, coordination } = get();
    const add = () => coordination.update<{ count: number }>("counters:b", (current) => ({ count: (current?.count ?? 0) + 1 }));
    await add();
    expect(await add()).toEqual({ count: 2 });
    await storage.setItem("counters:b", { count: 10 });
    expect(await add()).toEqual({ count: 11 });
    await storage.removeItem("counters:b");
    expect(await add()).toEqual({ count: 1 });
    await storage.setItems([{ key: "counters:b", value: { count: 20 } }]);
    expect(await add()).toEqual({ count: 21 });
    await storage.clear();
    expect(await add()).toEqual({ count: 1 });
    await storage.setItem("counters:b", { count: 5 });
    // Leaving the value as it is still resolves with what is stored.
    expect(await coordination.update("counters:b", () => undefined)).toEqual({ count: 5 });
    const added = await Promise.all(Array.from({ length: 50 }, add));
    expect(added.map((value) => value!.count).sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, index) => index + 6));
    expect(await storage.getItem("counters:b")).toEqual({ count: 55 });
  });

  test("coordination: an update with ttlMs expires where the driver has TTLs, and is kept where it has none", async () => {
    const { storage, coordination, ttl } = get();
    await coordination.update("short", () => ({ lived: true }), { ttlMs: 1_000 });
    expect(await storage.getItem("short")).toEqual({ lived: true });
    await sleep(1_500);
    expect(await storage.getItem("short")).toEqual(ttl ? null : { lived: true });
  });

  test("coordination: an index gives up expired keys and the oldest beyond its bound", async () => {
    const { coordination } = get();
    const now = Date.now();
    expect(await coordination.track("things", "gone", now - 1, 10)).toEqual(["gone"]);
    expect(await coordination.track("things", "a", now + 60_000, 2)).toEqual([]);
    expect(await coordination.track("things", "b", now + 61_000, 2)).toEqual([]);
    expect(await coordination.track("things", "c", now + 62_000, 2)).toEqual(["a"]);
    await coordination.untrack("things", "b");
    expect(await coordination.track("things", "d", now + 63_000, 2)).toEqual([]);
    expect(await coordination.track("things", "e", now + 64_000, 2)).toEqual(["c"]);
  });

  test("coordination: a pool holds at most its limit, renews and releases", async () => {
    const { coordination } = get();
    expect(await coordination.acquire("slots", "one", 2, 60_000)).toBe(true);
    expect(await coordination.acquire("slots", "two", 2, 60_000)).toBe(true);
    expect(await coordination.acquire("slots", "three", 2, 60_000)).toBe(false);
    expect(await coordination.acquire("slots", "one", 2, 60_000)).toBe(true);
    await coordination.release("slots", "one");
    expect(await coordination.acquire("slots", "three", 2, 60_000)).toBe(true);
    await coordination.renew("slots", ["two", "three"], 60_000);
    expect(await coordination.acquire("slots", "short", 3, 200)).toBe(true);
    await sleep(300);
    expect(await coordination.acquire("slots", "four", 3, 60_000)).toBe(true);
  });

  test("coordination: a lease pool hands each lapsed lease to one reclaimer, and renewed ones to none", async () => {
    const { coordination } = get();
    await coordination.hold("leases", ["kept", "lapsing", "released"], 200);
    await coordination.release("leases", "released");
    await sleep(100);
    await coordination.renew("leases", ["kept"], 60_000);
    await sleep(200);
    const reclaimers = await Promise.all(Array.from({ length: 5 }, () => coordination.reclaim("leases", 60_000, 10)));
    expect(reclaimers.flat()).toEqual(["lapsing"]);
    // Held again by its reclaimer: it lapses once more only if that one stops renewing it too.
    expect(await coordination.reclaim("leases", 60_000, 10)).toEqual([]);
    await coordination.hold("leases", ["lapsing"], 1);
    await sleep(20);
    expect(await coordination.reclaim("leases", 60_000, 10)).toEqual(["lapsing"]);
    await coordination.release("leases", "lapsing");
    await coordination.release("leases", "kept");
  });

  test("coordination: a log takes each position once, whatever the appenders read before, and stays sealed", async () => {
    const { storage, coordination } = get();
    expect(await coordination.append("log:a:", [])).toEqual({ first: 0, length: 0, sealed: false });
    // 100 appenders at once, none expecting a position: 100 distinct positions, no entry overwritten.
    const taken = await Promise.all(Array.from({ length: 100 }, (_, index) => coordination.append("log:a:", [{ index }])));
    expect(taken.map((result) => result.first).sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, index) => index + 1));
    for (const result of taken.slice(0, 5)) expect(await storage.getItem(logEntryKey("log:a:", result.first))).toEqual({ index: taken.indexOf(result) });
    // A writer numbering its own entries: only the position it expects.
    expect(await coordination.append("log:a:", [{ late: true }], { expect: 100 })).toEqual({ first: 0, length: 100, sealed: false });
    expect(await coordination.append("log:a:", [{ n: 101 }, { n: 102 }], { expect: 101 })).toEqual({ first: 101, length: 102, sealed: false });
    expect(await coordination.append("log:a:", [{ end: true }], { seal: true })).toEqual({ first: 103, length: 103, sealed: true });
    expect(await coordination.append("log:a:", [{ after: true }])).toEqual({ first: 0, length: 103, sealed: true });
    expect(await coordination.append("log:a:", [{ after: true }], { expect: 104 })).toEqual({ first: 0, length: 103, sealed: true });
    expect(await storage.getItem(logEntryKey("log:a:", 103))).toEqual({ end: true });
    expect(await storage.hasItem(logEntryKey("log:a:", 104))).toBe(false);
    // Racing sealers: one seals, the other is refused.
    const sealers = await Promise.all([
      coordination.append("log:b:", [{ who: 1 }], { seal: true }),
      coordination.append("log:b:", [{ who: 2 }], { seal: true }),
    ]);
    expect(sealers.map((result) => result.first).sort()).toEqual([0, 1]);
  });

  test("coordination: messages reach subscribers until they unsubscribe", async () => {
    const { coordination } = get();
    const received: string[] = [];
    const unsubscribe = await coordination.subscribe("news", (message) => received.push(message));
    expect(await coordination.publish("news", "first")).toBeGreaterThanOrEqual(1);
    await expect.poll(() => received).toEqual(["first"]);
    await unsubscribe();
    expect(await coordination.publish("news", "second")).toBe(0);
    expect(await coordination.publish("elsewhere", "x")).toBe(0);
    await sleep(50);
    expect(received).toEqual(["first"]);
  });
}
