import { describe, expect, it } from "vitest";
import { maskConfig } from "../../../src/config/mask.ts";
import { overlayConfig } from "../../../src/config/overlay.ts";
import { validateConfig } from "../../../src/config/validate.ts";
import { problemsOf } from "../../helpers/config-problems.ts";

const upstreams = { openai: { baseURL: "https://api.openai.com/v1", apiKey: "sk-test-0123456789abcdef" }, groq: { baseURL: "https://api.groq.com/openai/v1" } };

describe("config: upstreams, models and routing", () => {
  it("defaults to no table, so the single upstream block keeps its behaviour", () => {
    const config = validateConfig({});
    expect(config.upstreams).toEqual({});
    expect(config.models).toEqual({});
    expect(config.routing).toEqual({ fallbackOn: ["connection", "timeout", "429", "5xx"], circuitBreaker: { failures: 5, cooldownMs: 30_000 } });
    expect(config.metrics).toEqual({ enabled: false, host: "127.0.0.1", processMetrics: true });
    expect(config.logs).toEqual({ level: "info", format: "auto", contents: false });
  });

  it("accepts two providers with a fallback, and named upstreams take the upstream block's fields", () => {
    const config = validateConfig({
      upstreams: { ...upstreams, groq: { ...upstreams.groq, api: "chat", maxRetries: 0, headers: { "X-Title": "hermes" } } },
      models: {
        smart: { upstream: "openai", model: "gpt-4.1", fallbacks: [{ upstream: "groq", model: "llama-3.3-70b-versatile" }], defaults: { temperature: 0.2 } },
      },
    });
    expect(config.upstreams.groq).toMatchObject({ api: "chat", maxRetries: 0, headersTimeoutMs: 120_000, headers: { "X-Title": "hermes" } });
    expect(config.models.smart).toMatchObject({ upstream: "openai", fallbacks: [{ upstream: "groq" }], defaults: { temperature: 0.2 } });
  });

  it("names the field of a route that points at an undeclared upstream, with the nearest name", () => {
    expect(
      problemsOf({
        upstreams,
        models: { smart: { upstream: "opnai", model: "gpt-4.1", fallbacks: [{ upstream: "mistral", model: "m" }] } },
      }),
    ).toEqual([
      'models.smart.upstream: unknown upstream "opnai"; did you mean "openai"?',
      'models.smart.fallbacks[0].upstream: unknown upstream "mistral"; declared: openai, groq',
    ]);
  });

  it("lets routes reach the upstream block as `default`", () => {
    const config = validateConfig({ upstream: { baseURL: "http://127.0.0.1:11434/v1" }, models: { local: { upstream: "default", model: "llama3.2" } } });
    expect(config.models.local?.upstream).toBe("default");
    expect(problemsOf({ models: { local: { upstream: "default", model: "llama3.2" } } })).toEqual([
      'models.local.upstream: unknown upstream "default"; declare it under upstreams',
    ]);
  });

  it("checks routing.defaultModel against the table, and upstreams without a table", () => {
    expect(problemsOf({ upstreams, models: { smart: { upstream: "openai", model: "gpt-4.1" } }, routing: { defaultModel: "smrt" } })).toEqual([
      'routing.defaultModel: "smrt" is not a key of models; did you mean "smart"?',
    ]);
    expect(problemsOf({ upstreams })).toEqual([
      'upstreams: declared upstreams are reached through a models table; add models: { "<name>": { upstream: "<upstream>", model: "<its model>" } }',
    ]);
  });

  it("refuses a misspelt route field, an unknown fallback reason and a named upstream without baseURL", () => {
    expect(problemsOf({ upstreams, models: { smart: { upstream: "openai", model: "x", fallback: [] } } })).toEqual([
      'models.smart.fallback: unknown field; did you mean "models.smart.fallbacks"?',
    ]);
    expect(problemsOf({ routing: { fallbackOn: ["4xx"] } })[0]).toMatch(/^routing\.fallbackOn\[0\]: expected one of .*"connection".*"auth", received "4xx"$/);
    expect(problemsOf({ upstreams: { groq: { apiKey: "k" } }, models: { m: { upstream: "groq", model: "x" } } })).toEqual([
      "upstreams.groq.baseURL: missing; expected an http:// or https:// URL",
    ]);
  });

  it("reads the metrics and log switches from the environment", () => {
    const env = { HERMES_METRICS: "1", HERMES_METRICS_PORT: "9464", HERMES_LOG_REQUESTS: "off", HERMES_LOG_FORMAT: "json", HERMES_LOG_LEVEL: "warn" };
    const { input } = overlayConfig({}, env, {});
    expect(validateConfig(input)).toMatchObject({ metrics: { enabled: true, port: 9464 }, logs: { requests: false, format: "json", level: "warn" } });
    const origins = overlayConfig({}, { HERMES_METRICS: "perhaps" }, {}).origins;
    expect(problemsOf(overlayConfig({}, { HERMES_METRICS: "perhaps" }, {}).input, origins)).toEqual([
      'metrics.enabled (from HERMES_METRICS): expected true or false, received "perhaps"',
    ]);
    const level = overlayConfig({}, { HERMES_LOG_LEVEL: "verbose" }, {});
    expect(problemsOf(level.input, level.origins)).toEqual([
      'logs.level (from HERMES_LOG_LEVEL): expected one of "debug", "info", "warn", "error", received "verbose"',
    ]);
  });

  it("masks the keys and credential headers of every upstream in what check prints", () => {
    const config = validateConfig({
      upstreams: { ...upstreams, groq: { ...upstreams.groq, headers: { Authorization: "Bearer gsk-secret-0123456789abcdef" } } },
      models: { smart: { upstream: "openai", model: "gpt-4.1" }, fast: { upstream: "groq", model: "llama" } },
    });
    const printed = JSON.stringify(maskConfig(config));
    expect(printed).not.toContain("sk-test-0123456789abcdef");
    expect(printed).not.toContain("gsk-secret-0123456789abcdef");
  });
});
