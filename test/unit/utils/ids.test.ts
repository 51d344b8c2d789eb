import { describe, expect, it } from "vitest";
import { randomId } from "../../../src/utils/ids.ts";

describe("randomId", () => {
  it("is the prefix and 32 hex characters, never the same twice across pool refills", () => {
    const ids = Array.from({ length: 1_000 }, () => randomId("msg_"));
    for (const id of ids) expect(id).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(new Set(ids).size).toBe(ids.length);
    // Every hex digit turns up in every position: the bits are random, not a counter.
    for (let position = 4; position < 36; position++) expect(new Set(ids.map((id) => id[position])).size).toBe(16);
  });
});
