import { describe, expect, it } from "vitest";
import { testStorage } from "../../sdk/testing.ts";
import memoryStorage from "../../plugins/storage-memory/index.ts";

describe("storage-memory", () => {
  testStorage({ create: () => memoryStorage() });

  it("says it keeps nothing across restarts", () => {
    expect(memoryStorage().description).toBe("memory (not kept across restarts)");
  });
});
