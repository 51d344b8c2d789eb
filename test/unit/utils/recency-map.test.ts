import { describe, expect, it } from "vitest";
import { RecencyMap } from "../../../src/utils/index.ts";

describe("RecencyMap", () => {
  it("moves a touched key to the end, sets the key at the end in place, and keeps its order through set, delete and clear", () => {
    const recent = new RecencyMap<number>();
    recent.touch("a", 1);
    recent.touch("b", 2);
    recent.touch("a", 3);
    expect([...recent]).toEqual([
      ["b", 2],
      ["a", 3],
    ]);
    recent.touch("a", 4);
    recent.set("b", 5);
    expect([...recent]).toEqual([
      ["b", 5],
      ["a", 4],
    ]);
    // A key added with set is the newest: touching it keeps it last.
    recent.set("c", 6);
    recent.touch("c", 7);
    recent.touch("b", 8);
    expect([...recent.keys()]).toEqual(["a", "c", "b"]);
    // The newest deleted and added again lands at the end.
    recent.delete("b");
    recent.touch("a", 9);
    recent.touch("b", 10);
    expect([...recent.keys()]).toEqual(["c", "a", "b"]);
    recent.clear();
    recent.touch("c", 11);
    recent.touch("a", 12);
    expect([...recent.keys()]).toEqual(["c", "a"]);
  });
});
