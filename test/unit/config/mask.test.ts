import { describe, expect, it } from "vitest";
import { maskConfig, maskSecret, maskUrl } from "../../../src/config/mask.ts";
import { validateConfig } from "../../../src/config/validate.ts";

describe("maskSecret", () => {
  it("keeps a short prefix and the last four characters of a long key", () => {
    expect(maskSecret("sk-proj-4f9a0c1d2e3b4a5c6d7eabcd")).toBe("sk-…abcd");
    expect(maskSecret("0123456789abcdefWXYZ")).toBe("…WXYZ");
  });

  it("shows nothing of a short key", () => {
    expect(maskSecret("sk-short")).toBe("***");
    expect(maskSecret("fifteen-chars!!")).toBe("***");
    expect(maskSecret("")).toBe("(empty)");
  });
});

describe("maskUrl", () => {
  it("hides user, password and credential query parameters", () => {
    expect(maskUrl("redis://default:hunter2@cache:6379/0")).toBe("redis://***:***@cache:6379/0");
    expect(maskUrl("https://token@api.example/v1")).toBe("https://***@api.example/v1");
    expect(maskUrl("https://api.example/v1?api_key=abc&region=eu")).toBe("https://api.example/v1?api_key=***&region=eu");
  });

  it("leaves clean URLs and other strings exactly as they were", () => {
    expect(maskUrl("https://api.openai.com/v1")).toBe("https://api.openai.com/v1");
    expect(maskUrl("fs:.hermes")).toBe("fs:.hermes");
    expect(maskUrl("hello")).toBe("hello");
  });
});

describe("maskConfig", () => {
  it("masks every key and URL credential of a resolved config, and nothing else", () => {
    const config = validateConfig({
      server: { apiKey: "hermes-key-0123456789-WXYZ" },
      upstream: { baseURL: "https://user:pass@llm.example/v1", apiKey: "sk-upstream-0123456789-abcd" },
    });
    const masked = maskConfig(config);
    expect(masked.server.apiKey).toBe("…WXYZ");
    expect(masked.upstream.apiKey).toBe("sk-…abcd");
    expect(masked.upstream.baseURL).toBe("https://***:***@llm.example/v1");
    expect({ ...masked, server: config.server, upstream: config.upstream }).toEqual(config);
    const printed = JSON.stringify(masked);
    for (const secret of ["hermes-key-0123456789", "sk-upstream-0123456789", "pass@"]) expect(printed).not.toContain(secret);
    expect(config.server.apiKey).toBe("hermes-key-0123456789-WXYZ");
  });

  it("prints inline PEM as its label, and a TLS key only when it reads as a file path", () => {
    const key = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";
    const cert = "-----BEGIN CERTIFICATE-----\nMIIBfjCCASWgAwIBAgIUQ\n-----END CERTIFICATE-----\n";
    expect(maskConfig(validateConfig({ server: { tls: { cert, key } } })).server.tls).toEqual({ cert: "[PEM certificate]", key: "[PEM private key]" });
    expect(maskConfig({ server: { tls: { cert: "./certs/a.pem", key: "./certs/a-key.pem" } } }).server.tls).toEqual({
      cert: "./certs/a.pem",
      key: "./certs/a-key.pem",
    });
    // Key material without its PEM armour is still key material.
    expect(maskConfig({ tls: { key: "MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg" } })).toEqual({ tls: { key: "***" } });
  });

  it("masks secrets by field name wherever they are, and prints functions as a marker", () => {
    expect(maskConfig({ plugins: [{ name: "search", token: "tok-0123456789abcdef", run: () => 1 }] })).toEqual({
      plugins: [{ name: "search", token: "tok-…cdef", run: "[function]" }],
    });
  });
});
