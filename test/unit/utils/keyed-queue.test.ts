import { describe, expect, it } from "vitest";
import { createKeyedQueue } from "../../../src/utils/index.ts";

describe("createKeyedQueue", () => {
  it("runs one key's tasks one at a time in order, other keys beside them, and survives a failing task", async () => {
    const inOrder = createKeyedQueue();
    const seen: string[] = [];
    const task = (name: string, ms: number) => async () => {
      seen.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      seen.push(`${name} end`);
      return name;
    };
    const first = inOrder("a", task("a1", 20));
    const failing = inOrder("a", async () => {
      seen.push("a2 start");
      throw new Error("a2 failed");
    });
    const third = inOrder("a", task("a3", 1));
    const other = inOrder("b", task("b1", 1));
    await expect(failing).rejects.toThrow("a2 failed");
    expect(await Promise.all([first, third, other])).toEqual(["a1", "a3", "b1"]);
    expect(seen).toEqual(["a1 start", "b1 start", "b1 end", "a1 end", "a2 start", "a3 start", "a3 end"]);
  });

  it("queues a call a starting task makes for its own key behind that task", async () => {
    const inOrder = createKeyedQueue();
    const seen: string[] = [];
    let inner: Promise<unknown> | undefined;
    const outer = inOrder("a", async () => {
      inner = inOrder("a", async () => void seen.push("inner"));
      seen.push("outer start");
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push("outer end");
    });
    await Promise.all([outer, inner]);
    expect(seen).toEqual(["outer start", "outer end", "inner"]);
  });

  it("turns a task's synchronous throw into a rejection, and queues the next task behind it", async () => {
    const inOrder = createKeyedQueue();
    const thrown = inOrder("a", () => {
      throw new Error("at once");
    });
    await expect(thrown).rejects.toThrow("at once");
    await expect(inOrder("a", async () => "next")).resolves.toBe("next");
  });
});
