import { createStorage } from "unstorage";
import memoryDriver from "unstorage/drivers/memory";
import { describe, expect, it } from "vitest";
import { KnownValues, knownValueMaxChars } from "../../../src/state/known-values.ts";

describe("KnownValues", () => {
  it("remembers an update's own write, and nothing when another write of the key completed meanwhile", () => {
    const known = new KnownValues();
    const own = known.expect("sessions:a", 1);
    known.written("sessions:a");
    known.settle("sessions:a", own, { n: 1 });
    expect(known.get("sessions:a")).toEqual({ value: { n: 1 } });

    // Another write lands while the update's own is in flight, in either order: nothing to trust.
    for (const order of [0, 1]) {
      const pending = known.expect("sessions:a", 1);
      known.written("sessions:a");
      if (order === 0) known.written("sessions:a");
      known.settle("sessions:a", pending, { n: 2 });
      if (order === 1) known.written("sessions:a");
      expect(known.get("sessions:a")).toBeUndefined();
    }

    // A read: any write completing before it is remembered leaves nothing.
    const reading = known.expect("sessions:a", 0);
    known.written("sessions:a");
    known.settle("sessions:a", reading, { n: 3 });
    expect(known.get("sessions:a")).toBeUndefined();
  });

  it("forgets a key on every write its driver completes, whichever storage instance made it: set, bulk set, remove, clear", async () => {
    const known = new KnownValues();
    const driver = known.watch(memoryDriver());
    const one = createStorage({ driver });
    const other = createStorage({ driver });
    const remember = (key: string) => known.settle(key, known.expect(key, 0), "known");

    for (const write of [
      () => other.setItem("a", 1),
      () => other.setItems([{ key: "a", value: 2 }]),
      () => one.removeItem("a"),
      () => other.clear(),
      () => one.setItemRaw("a", new Uint8Array([1])),
    ]) {
      remember("a");
      remember("b");
      expect(known.get("a")).toEqual({ value: "known" });
      await write();
      expect(known.get("a")).toBeUndefined();
    }
    // Only the written key is forgotten (a clear forgets all).
    remember("b");
    await one.setItem("a", 3);
    expect(known.get("b")).toEqual({ value: "known" });
    // Keys as unstorage normalises them: `a/b` and `a:b` are one key.
    remember("x:y");
    await one.setItem("x/y", 1);
    expect(known.get("x:y")).toBeUndefined();
  });

  it("keeps at most its bound, least recently used first", () => {
    const known = new KnownValues(2);
    for (const key of ["a", "b", "c"]) known.settle(key, known.expect(key, 0), key);
    expect([known.get("a"), known.get("b"), known.get("c")]).toEqual([undefined, { value: "b" }, { value: "c" }]);
  });

  it("does not keep a value whose JSON is larger than its bound, read or written (a history, a stored reply)", async () => {
    const known = new KnownValues();
    const storage = createStorage({ driver: known.watch(memoryDriver()) });
    const small = { n: 1 };
    const large = { text: "x".repeat(knownValueMaxChars) };
    for (const value of [small, large]) {
      const key = value === small ? "small" : "large";
      const writing = known.expect(key, 1);
      await storage.setItem(key, value);
      known.settle(key, writing, value);
    }
    expect(known.get("small")).toEqual({ value: small });
    expect(known.get("large")).toBeUndefined();

    known.forget("large");
    const reading = known.expect("large", 0);
    const read = await storage.getItem("large");
    known.settle("large", reading, read);
    expect(known.get("large")).toBeUndefined();
  });
});
