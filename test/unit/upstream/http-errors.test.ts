import { describe, expect, it } from "vitest";
import { parseErrorBody, statusError, transportError } from "../../../src/upstream/http-errors.ts";
import { backoffMs, retryAfterMs } from "../../../src/upstream/retry.ts";

const timeouts = { connectTimeoutMs: 1, headersTimeoutMs: 2, idleTimeoutMs: 3 };

describe("parseErrorBody", () => {
  it.each([
    ['{"error":{"message":"m","type":"invalid_request_error","param":"p","code":"c"}}', { message: "m", type: "invalid_request_error", param: "p", code: "c" }],
    ['{"error":"plain"}', { message: "plain" }],
    ['{"object":"error","message":"vllm says no","type":"BadRequestError","code":400}', { message: "vllm says no", type: "BadRequestError" }],
    ['{"detail":"fastapi says no"}', { message: "fastapi says no" }],
    ["upstream overloaded", { message: "upstream overloaded" }],
    ["<html><body>502 Bad Gateway</body></html>", {}],
    ["", {}],
  ])("reads %s", (text, expected) => {
    expect(parseErrorBody(text)).toEqual(expected);
  });
});

describe("statusError", () => {
  it("keeps a 4xx's status, code and param, and only known error types", () => {
    const error = statusError(400, '{"error":{"message":"bad","type":"weird_type","param":"messages","code":"context_length_exceeded"}}', undefined, undefined);
    expect(error.toInfo()).toEqual({ status: 400, type: "invalid_request_error", code: "context_length_exceeded", param: "messages", message: "bad" });
  });

  it("gives a 4xx without a code a stable one", () => {
    expect(statusError(422, "", undefined, undefined)).toMatchObject({ status: 422, code: "upstream_rejected" });
  });

  it("keeps a 429's own code, such as insufficient_quota, and passes Retry-After on", () => {
    const error = statusError(429, '{"error":{"message":"quota","code":"insufficient_quota"}}', "7", undefined);
    expect(error).toMatchObject({ status: 429, type: "rate_limit_error", code: "insufficient_quota", headers: { "Retry-After": "7" } });
  });

  it("maps a 5xx to 502 upstream_error and scrubs the API key", () => {
    const error = statusError(503, '{"error":{"message":"key sk-secret rejected"}}', undefined, "sk-secret");
    expect(error).toMatchObject({ status: 502, code: "upstream_error" });
    expect(error.message).toBe("The upstream failed (HTTP 503): key *** rejected");
  });
});

describe("transportError", () => {
  it.each([
    ["UND_ERR_CONNECT_TIMEOUT", 504, "upstream_timeout"],
    ["UND_ERR_HEADERS_TIMEOUT", 504, "upstream_timeout"],
    ["UND_ERR_BODY_TIMEOUT", 504, "upstream_timeout"],
    ["UND_ERR_SOCKET", 502, "upstream_error"],
    ["ECONNREFUSED", 502, "upstream_error"],
    ["SOMETHING_ELSE", 502, "upstream_error"],
  ])("maps %s to %i %s", (code, status, hermesCode) => {
    expect(transportError(Object.assign(new Error("x"), { code }), timeouts)).toMatchObject({ status, code: hermesCode });
  });

  it("finds an OS error code in the cause", () => {
    const error = new Error("fetch failed", { cause: Object.assign(new Error("refused"), { code: "ECONNREFUSED" }) });
    expect(transportError(error, timeouts).message).toContain("ECONNREFUSED");
  });
});

describe("retryAfterMs", () => {
  const now = Date.parse("2025-01-01T00:00:00Z");
  it.each([
    [{ "retry-after": "3" }, 3_000],
    [{ "retry-after": "0.5" }, 500],
    [{ "retry-after-ms": "250", "retry-after": "3" }, 250],
    [{ "retry-after": "Wed, 01 Jan 2025 00:00:10 GMT" }, 10_000],
    [{ "retry-after": "Tue, 31 Dec 2024 23:59:00 GMT" }, 0],
    [{ "retry-after": "soon" }, undefined],
    [{ "retry-after": "-1" }, undefined],
    [{}, undefined],
  ])("reads %o", (headers, expected) => {
    expect(retryAfterMs(headers, now)).toBe(expected);
  });
});

describe("backoffMs", () => {
  it("doubles per attempt, with jitter only downwards", () => {
    for (let attempt = 0; attempt < 4; attempt++) {
      const delay = backoffMs(attempt, 100);
      expect(delay).toBeLessThanOrEqual(100 * 2 ** attempt);
      expect(delay).toBeGreaterThanOrEqual(75 * 2 ** attempt);
    }
  });
});
