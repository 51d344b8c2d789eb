import { describe, expect, it } from "vitest";
import { apiKeyWeakness, checkStartup } from "../../../src/config/guards.ts";
import { isLoopbackHost } from "../../../src/config/loopback.ts";
import { validateConfig } from "../../../src/config/validate.ts";

const strongKey = "k7f3-93ab-1c0d-e2f4";

function check(host: string, apiKey?: string) {
  return checkStartup(validateConfig({ server: { host, ...(apiKey === undefined ? {} : { apiKey }) } }));
}

describe("isLoopbackHost", () => {
  it.each(["localhost", "LOCALHOST", "127.0.0.1", "127.1.2.3", "::1", "[::1]", "0:0:0:0:0:0:0:1", "::ffff:127.0.0.1", "::ffff:7f00:1"])(
    "%s is loopback",
    (host) => expect(isLoopbackHost(host)).toBe(true),
  );

  it.each(["0.0.0.0", "::", "192.168.1.10", "10.0.0.1", "::ffff:10.0.0.1", "128.0.0.1", "localhost.example.com", "my-host", "127.0.0.1.nip.io", "::2"])(
    "%s is not loopback",
    (host) => expect(isLoopbackHost(host)).toBe(false),
  );
});

describe("apiKeyWeakness", () => {
  it.each([
    "changeme",
    "your-api-key",
    "your_api_key",
    "YOUR_API_KEY_HERE",
    "test",
    "sk-xxx",
    "placeholder",
    "Example",
    "dummy",
    "null",
    "none",
    "*",
    "**",
    "***",
    "  changeme  ",
  ])("rejects the placeholder %j", (key) => expect(apiKeyWeakness(key)).toBe("it is a placeholder value"));

  it("rejects keys under 16 characters after trimming", () => {
    expect(apiKeyWeakness("0123456789abcde")).toBe("it is shorter than 16 characters");
    expect(apiKeyWeakness("   0123456789abcde   ")).toBe("it is shorter than 16 characters");
    expect(apiKeyWeakness("0123456789abcdef")).toBeUndefined();
  });
});

describe("checkStartup", () => {
  it("refuses a non-loopback host without an API key", () => {
    expect(check("0.0.0.0")).toEqual({
      errors: [
        "refusing to listen on 0.0.0.0 without an API key: set HERMES_API_KEY (or server.apiKey) to a random string of at least 16 characters, or listen on 127.0.0.1",
      ],
      warnings: [],
    });
    expect(check("192.168.1.10", "   ").errors).toHaveLength(1);
    expect(check("my-host.local").errors[0]).toMatch(/^refusing to listen on my-host.local without an API key/);
  });

  it("refuses a non-loopback host with a weak or placeholder key", () => {
    expect(check("0.0.0.0", "your_api_key_here").errors).toEqual([
      "refusing to listen on 0.0.0.0 with a weak API key (it is a placeholder value): set HERMES_API_KEY (or server.apiKey) to a random string of at least 16 characters, e.g. from `openssl rand -hex 32`",
    ]);
    expect(check("::", "short-key").errors[0]).toMatch(/^refusing to listen on :: with a weak API key \(it is shorter than 16 characters\)/);
  });

  it("accepts a non-loopback host with a strong key", () => {
    expect(check("0.0.0.0", strongKey)).toEqual({ errors: [], warnings: [] });
  });

  it("starts on loopback without a key, with a warning", () => {
    expect(check("127.0.0.1")).toEqual({
      errors: [],
      warnings: ["no API key is set, so any program on this machine can use the proxy; set HERMES_API_KEY (or server.apiKey) to require one"],
    });
    expect(check("localhost", strongKey)).toEqual({ errors: [], warnings: [] });
  });

  it("starts on loopback with a weak key, with a warning", () => {
    expect(check("::1", "changeme")).toEqual({
      errors: [],
      warnings: ["the API key is weak (it is a placeholder value); that is allowed on ::1, but any other host would refuse it"],
    });
  });
});
