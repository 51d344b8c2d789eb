import { describe, expect, it } from "vitest";
import { HermesError } from "../../../../src/protocol/index.ts";
import { statusError, transportError } from "../../../../src/upstream/http-errors.ts";
import { failureReason } from "../../../../src/upstream/router/failure.ts";

const timeouts = { connectTimeoutMs: 1, headersTimeoutMs: 1, idleTimeoutMs: 1 };
const osError = (code: string) => Object.assign(new Error(code), { code });

describe("failureReason", () => {
  it("names the upstream failures routing.fallbackOn lists", () => {
    expect(failureReason(statusError(429, "", undefined, undefined))).toBe("429");
    expect(failureReason(statusError(503, "", undefined, undefined))).toBe("5xx");
    expect(failureReason(statusError(401, "", undefined, undefined))).toBe("auth");
    expect(failureReason(transportError(osError("ECONNREFUSED"), timeouts))).toBe("connection");
    expect(failureReason(transportError(Object.assign(new Error("x"), { cause: osError("ECONNRESET") }), timeouts))).toBe("connection");
    expect(failureReason(transportError(osError("UND_ERR_HEADERS_TIMEOUT"), timeouts))).toBe("timeout");
    expect(failureReason(transportError(osError("UND_ERR_CONNECT_TIMEOUT"), timeouts))).toBe("timeout");
  });

  it("says nothing of errors the request itself caused, or that are not upstream errors", () => {
    expect(failureReason(statusError(400, '{"error":{"message":"bad"}}', undefined, undefined))).toBeUndefined();
    expect(failureReason(statusError(404, "", undefined, undefined))).toBeUndefined();
    expect(failureReason(new HermesError("cancelled", { status: 499, code: "cancelled" }))).toBeUndefined();
    expect(failureReason(new Error("a bug"))).toBeUndefined();
  });
});
