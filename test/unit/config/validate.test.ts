import { describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.ts";
import { levenshtein, nearest } from "../../../src/config/nearest.ts";
import { validateConfig } from "../../../src/config/validate.ts";
import { problemsOf } from "../../helpers/config-problems.ts";

describe("validateConfig", () => {
  it("applies the defaults", () => {
    const config = validateConfig({});
    expect(config.server).toMatchObject({ port: 8642, host: "127.0.0.1", cors: { origins: [] } });
    expect(config.upstream.api).toBe("chat");
    // Unset: the storage is chosen at start (a storage plugin, else fs under $HERMES_HOME or ./.hermes).
    expect(config.storage).toBeUndefined();
    expect(config.retention.responses).toEqual({ ttlMs: 30 * 24 * 60 * 60 * 1000, maxEntries: 100_000 });
  });

  it("names the nearest valid field for an unknown one", () => {
    expect(problemsOf({ server: { prot: 1 } })).toEqual(['server.prot: unknown field; did you mean "server.port"?']);
    expect(problemsOf({ upstream: { apikey: "x" } })).toEqual(['upstream.apikey: unknown field; did you mean "upstream.apiKey"?']);
    expect(problemsOf({ server: { cors: { orgins: [] } } })).toEqual(['server.cors.orgins: unknown field; did you mean "server.cors.origins"?']);
    expect(problemsOf({ modle: {} })).toEqual(['modle: unknown field; did you mean "model"?']);
  });

  it("points a field in the wrong section to where it belongs", () => {
    expect(problemsOf({ port: 8642 })).toEqual(['port: unknown field; did you mean "server.port" or "metrics.port"?']);
  });

  it("lists the valid fields when nothing is close", () => {
    expect(problemsOf({ extensions: [] })).toEqual([
      "extensions: unknown field; valid fields are server, upstream, model, agent, storage, retention, plugins, upstreams, models, routing, metrics, logs, jobs, mcp",
    ]);
    expect(problemsOf({ agent: { temperature: 1 } })).toEqual([
      "agent.temperature: unknown field; valid fields of agent are systemPrompt, maxIterations, toolTimeoutMs, maxConcurrentRuns, runRetentionMs, runLeaseMs, contextTokens, unsupportedHostedTools",
    ]);
  });

  it("says what a bad value should be and what it was", () => {
    expect(problemsOf({ server: { port: 70000 } })).toEqual(["server.port: expected an integer from 0 to 65535, received 70000"]);
    expect(problemsOf({ server: { port: "8642" } })).toEqual(['server.port: expected an integer from 0 to 65535, received "8642"']);
    expect(problemsOf({ server: { host: "" } })).toEqual(['server.host: expected a non-empty string, received ""']);
    expect(problemsOf({ server: { cors: { origins: "*" } } })).toEqual(['server.cors.origins: expected a list of non-empty strings, received "*"']);
    expect(problemsOf({ upstream: { api: "chatt" } })).toEqual(['upstream.api: expected one of "chat", "responses", received "chatt"']);
    expect(problemsOf({ upstream: { maxRetries: -1 } })).toEqual(["upstream.maxRetries: expected an integer from 0 to 10, received -1"]);
    expect(problemsOf({ upstream: { connectTimeoutMs: 0 } })).toEqual(["upstream.connectTimeoutMs: expected a positive integer, received 0"]);
    expect(problemsOf({ agent: { maxIterations: 2.5 } })).toEqual(["agent.maxIterations: expected a positive integer, received 2.5"]);
    expect(problemsOf({ model: { aliases: ["ok", 3] } })).toEqual(["model.aliases[1]: expected a non-empty string, received 3"]);
    expect(problemsOf({ storage: "postgres://cache" })).toEqual([
      'storage: expected "memory", "fs:<dir>", "sqlite:<file>" or "redis://host:port/db", received "postgres://cache"',
    ]);
    expect(validateConfig({ storage: "redis://:hunter2@cache:6379/0" }).storage).toBe("redis://:hunter2@cache:6379/0");
    expect(problemsOf({ retention: { sessions: { maxEntries: 0 } } })).toEqual(["retention.sessions.maxEntries: expected a positive integer, received 0"]);
    expect(problemsOf({ server: null })).toEqual(["server: expected an object, received null"]);
  });

  it("never quotes a secret or URL credentials back", () => {
    const problems = problemsOf({
      server: { apiKey: 1234 },
      upstream: { apiKey: ["sk-live-0123456789abcdef"], baseURL: "ftp://user:hunter2@host.example/v1" },
    });
    expect(problems).toEqual([
      "server.apiKey: expected a string, received 1234",
      'upstream.baseURL: expected an http:// or https:// URL, received "ftp://***:***@host.example/v1"',
      "upstream.apiKey: expected a string, received a list",
    ]);
    expect(problems.join("\n")).not.toContain("hunter2");
  });

  it("names the variable or flag a value came from", () => {
    const origins = new Map([
      ["server.port", "HERMES_PORT"],
      ["server.cors.origins", "API_SERVER_CORS_ORIGINS"],
    ]);
    expect(problemsOf({ server: { port: "80a", cors: { origins: [""] } } }, origins)).toEqual([
      'server.port (from HERMES_PORT): expected an integer from 0 to 65535, received "80a"',
      'server.cors.origins[0] (from API_SERVER_CORS_ORIGINS): expected a non-empty string, received ""',
    ]);
  });

  it("reports every problem under one heading naming the file", () => {
    try {
      validateConfig({ server: { prot: 1, port: -1 } }, { source: "./hermes.config.ts" });
      expect.unreachable();
    } catch (error) {
      expect(ConfigError.is(error) && error.code).toBe("config_invalid");
      expect((error as Error).message).toBe(
        [
          "invalid configuration (config file ./hermes.config.ts):",
          "  - server.port: expected an integer from 0 to 65535, received -1",
          '  - server.prot: unknown field; did you mean "server.port"?',
        ].join("\n"),
      );
    }
  });
});

describe("nearest", () => {
  it("measures edits case-insensitively", () => {
    expect(levenshtein("prot", "port")).toBe(2);
    expect(levenshtein("apikey", "apiKey")).toBe(0);
    expect(levenshtein("", "abc")).toBe(3);
  });

  it("suggests only plausible typos", () => {
    expect(nearest("prot", ["port", "host", "apiKey"])).toBe("port");
    expect(nearest("xyzzy", ["port", "host"])).toBeUndefined();
  });
});
