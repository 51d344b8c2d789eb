import { describe, expect, it } from "vitest";
import { addUsage, HermesError, toErrorInfo } from "../../src/protocol/index.ts";
import { randomId } from "../../src/utils/index.ts";

describe("protocol", () => {
  it("sums usage, keeping optional details only when reported", () => {
    const a = { inputTokens: 1, outputTokens: 2, totalTokens: 3 };
    expect(addUsage(a, a)).toEqual({ inputTokens: 2, outputTokens: 4, totalTokens: 6 });
    expect(addUsage(a, { ...a, reasoningTokens: 5 })).toMatchObject({ reasoningTokens: 5 });
  });

  it("recognises HermesError by brand and hides other errors", () => {
    const error = new HermesError("nope", { status: 404, code: "not_found" });
    expect(HermesError.is(error)).toBe(true);
    expect(HermesError.is(new Error("x"))).toBe(false);
    expect(toErrorInfo(error)).toEqual({ message: "nope", type: "not_found_error", code: "not_found", param: null, status: 404 });
    expect(toErrorInfo(new Error("secret detail")).message).toBe("Internal server error");
  });

  it("makes prefixed random ids", () => {
    expect(randomId("msg_")).toMatch(/^msg_[0-9a-f]{32}$/);
    expect(randomId("a")).not.toBe(randomId("a"));
  });
});
