import { describe, expect, it } from "vitest";
import { overlayConfig } from "../../../src/config/overlay.ts";
import { validateConfig } from "../../../src/config/validate.ts";

/** Each environment-backed field: where it lives, its variables in precedence order, sample values. */
const fields = [
  { path: ["server", "port"], env: ["HERMES_PORT", "API_SERVER_PORT"], flag: "port", file: 1001, raw: "1002", parsed: 1002, defaulted: 8642 },
  {
    path: ["server", "host"],
    env: ["HERMES_HOST", "API_SERVER_HOST"],
    flag: "host",
    file: "127.0.0.2",
    raw: "127.0.0.3",
    parsed: "127.0.0.3",
    defaulted: "127.0.0.1",
  },
  { path: ["server", "apiKey"], env: ["HERMES_API_KEY", "API_SERVER_KEY"], file: "file-key", raw: "env-key", parsed: "env-key", defaulted: undefined },
  {
    path: ["server", "cors", "origins"],
    env: ["HERMES_CORS_ORIGINS", "API_SERVER_CORS_ORIGINS"],
    file: ["https://file.example"],
    raw: "https://a.example, https://b.example,",
    parsed: ["https://a.example", "https://b.example"],
    defaulted: [],
  },
  {
    path: ["model", "name"],
    env: ["HERMES_MODEL_NAME", "API_SERVER_MODEL_NAME"],
    file: "file-model",
    raw: "env-model",
    parsed: "env-model",
    defaulted: "hermes-agent",
  },
  { path: ["storage"], env: ["HERMES_STORAGE"], file: "fs:/tmp/file", raw: "fs:/tmp/env", parsed: "fs:/tmp/env", defaulted: undefined },
  {
    path: ["upstream", "baseURL"],
    env: ["HERMES_UPSTREAM_URL"],
    file: "https://file.example/v1",
    raw: "https://env.example/v1",
    parsed: "https://env.example/v1",
    defaulted: undefined,
  },
  {
    path: ["upstream", "apiKey"],
    env: ["HERMES_UPSTREAM_KEY"],
    file: "file-upstream-key",
    raw: "env-upstream-key",
    parsed: "env-upstream-key",
    defaulted: undefined,
  },
  {
    path: ["upstream", "model"],
    env: ["HERMES_UPSTREAM_MODEL"],
    file: "file-upstream-model",
    raw: "env-upstream-model",
    parsed: "env-upstream-model",
    defaulted: undefined,
  },
  { path: ["upstream", "api"], env: ["HERMES_UPSTREAM_API"], file: "chat", raw: "responses", parsed: "responses", defaulted: "chat" },
  { path: ["agent", "systemPrompt"], env: ["HERMES_SYSTEM_PROMPT"], file: "file prompt", raw: "env prompt", parsed: "env prompt", defaulted: undefined },
] as const;

function at(root: unknown, path: readonly string[]): unknown {
  return path.reduce<unknown>((node, key) => (node as Record<string, unknown> | undefined)?.[key], root);
}

function nest(path: readonly string[], value: unknown): Record<string, unknown> {
  return path.reduceRight<unknown>((inner, key) => ({ [key]: inner }), value) as Record<string, unknown>;
}

describe("overlayConfig: flag > environment > file > default", () => {
  for (const field of fields) {
    const name = field.path.join(".");
    const [primary, alias] = field.env;
    const file = nest(field.path, field.file);

    it(`${name}: the schema default when nothing sets it`, () => {
      const { input, origins } = overlayConfig({}, {}, {});
      expect(at(input, field.path)).toBeUndefined();
      expect(origins.size).toBe(0);
      expect(at(validateConfig(input), field.path)).toEqual(field.defaulted);
    });

    it(`${name}: the file over the default`, () => {
      expect(at(overlayConfig(file, {}, {}).input, field.path)).toEqual(field.file);
    });

    it(`${name}: ${primary} over the file`, () => {
      const { input, origins } = overlayConfig(file, { [primary]: field.raw }, {});
      expect(at(input, field.path)).toEqual(field.parsed);
      expect(origins.get(name)).toBe(primary);
    });

    if (alias !== undefined) {
      it(`${name}: ${alias} is accepted, and ${primary} wins over it`, () => {
        expect(at(overlayConfig(file, { [alias]: field.raw }, {}).input, field.path)).toEqual(field.parsed);
        const both = overlayConfig(file, { [alias]: "ignored", [primary]: field.raw }, {});
        expect(at(both.input, field.path)).toEqual(field.parsed);
        expect(both.origins.get(name)).toBe(primary);
      });
    }

    if ("flag" in field) {
      it(`${name}: --${field.flag} over ${primary}`, () => {
        const flagValue = field.flag === "port" ? "1003" : "127.0.0.4";
        const { input, origins } = overlayConfig(file, { [primary]: field.raw }, { [field.flag]: flagValue });
        expect(at(input, field.path)).toEqual(field.flag === "port" ? 1003 : flagValue);
        expect(origins.get(name)).toBe(`--${field.flag}`);
      });
    }
  }

  it("server.tls: HERMES_TLS_CERT and HERMES_TLS_KEY over the file; one alone leaves validation to name the other", () => {
    const file = { server: { tls: { cert: "file-cert.pem", key: "file-key.pem" } } };
    const { input, origins } = overlayConfig(file, { HERMES_TLS_KEY: "env-key.pem" }, {});
    expect(validateConfig(input).server.tls).toEqual({ cert: "file-cert.pem", key: "env-key.pem" });
    expect(origins.get("server.tls.key")).toBe("HERMES_TLS_KEY");
    expect(validateConfig({}).server.tls).toBeUndefined();
    expect(() => validateConfig(overlayConfig({}, { HERMES_TLS_CERT: "cert.pem" }, {}).input)).toThrow(/server\.tls\.key/);
  });

  it("treats empty and blank variables as unset", () => {
    const { input } = overlayConfig({ server: { port: 1 } }, { HERMES_PORT: "", API_SERVER_PORT: "  " }, {});
    expect(input).toEqual({ server: { port: 1 } });
  });

  it("keeps the file's other fields and does not modify the file's object", () => {
    const file = { server: { port: 1, host: "127.0.0.1" }, model: { aliases: ["a"] } };
    const snapshot = structuredClone(file);
    const { input } = overlayConfig(file, { HERMES_PORT: "2", HERMES_MODEL_NAME: "m" }, {});
    expect(input).toEqual({ server: { port: 2, host: "127.0.0.1" }, model: { aliases: ["a"], name: "m" } });
    expect(file).toEqual(snapshot);
  });

  it("keeps a malformed number as text so that validation names the variable", () => {
    const { input, origins } = overlayConfig({}, { HERMES_PORT: "80a" }, {});
    expect(at(input, ["server", "port"])).toBe("80a");
    expect(() => validateConfig(input, { origins })).toThrow('server.port (from HERMES_PORT): expected an integer from 0 to 65535, received "80a"');
  });

  it("names the alias and the flag when they bring the malformed number", () => {
    const alias = overlayConfig({}, { API_SERVER_PORT: "1.5" }, {});
    expect(() => validateConfig(alias.input, { origins: alias.origins })).toThrow("server.port (from API_SERVER_PORT)");
    const flag = overlayConfig({}, {}, { port: "eighty" });
    expect(() => validateConfig(flag.input, { origins: flag.origins })).toThrow(
      'server.port (from --port): expected an integer from 0 to 65535, received "eighty"',
    );
  });

  it("leaves a section that is not an object for validation to report", () => {
    const { input } = overlayConfig({ server: "oops" }, { HERMES_PORT: "1" }, {});
    expect(input).toEqual({ server: "oops" });
    expect(() => validateConfig(input)).toThrow('server: expected an object, received "oops"');
  });
});

describe("overlayConfig: OPENAI_* fallbacks", () => {
  const openai = { OPENAI_BASE_URL: "https://openai-env.example/v1", OPENAI_API_KEY: "sk-openai-env-key-0000" };

  it("fill the upstream when neither HERMES_* nor the file set it", () => {
    const { input, origins } = overlayConfig({}, openai, {});
    expect(input.upstream).toEqual({ baseURL: openai.OPENAI_BASE_URL, apiKey: openai.OPENAI_API_KEY, defaultModel: "gpt-4o-mini" });
    expect(origins.get("upstream.baseURL")).toBe("OPENAI_BASE_URL");
    expect(origins.get("upstream.apiKey")).toBe("OPENAI_API_KEY");
  });

  it("lose to HERMES_UPSTREAM_URL and HERMES_UPSTREAM_KEY", () => {
    const env = { ...openai, HERMES_UPSTREAM_URL: "https://hermes.example/v1", HERMES_UPSTREAM_KEY: "hermes-key" };
    expect(overlayConfig({}, env, {}).input.upstream).toEqual({ baseURL: "https://hermes.example/v1", apiKey: "hermes-key" });
  });

  it("lose to the config file, so an ambient OpenAI key never replaces an explicit upstream", () => {
    const file = { upstream: { baseURL: "http://127.0.0.1:11434/v1", apiKey: "ollama" } };
    expect(overlayConfig(file, openai, {}).input.upstream).toEqual(file.upstream);
  });

  it("imply OpenAI's base URL for an upstream key without one", () => {
    expect(overlayConfig({}, { OPENAI_API_KEY: "sk-openai-env-key-0000" }, {}).input.upstream).toEqual({
      apiKey: "sk-openai-env-key-0000",
      baseURL: "https://api.openai.com/v1",
      defaultModel: "gpt-4o-mini",
    });
    expect(overlayConfig({ upstream: { apiKey: "k" } }, {}, {}).input.upstream).toEqual({ apiKey: "k", baseURL: "https://api.openai.com/v1" });
    expect(overlayConfig({}, {}, {}).input.upstream).toBeUndefined();
  });

  it("give the advertised name an OpenAI model when the key is OPENAI_API_KEY's, unless a model is set", () => {
    const { origins } = overlayConfig({}, { OPENAI_API_KEY: "sk-openai-env-key-0000" }, {});
    expect(origins.get("upstream.defaultModel")).toBe("OPENAI_API_KEY");
    const pinned = overlayConfig({}, { OPENAI_API_KEY: "sk-openai-env-key-0000", HERMES_UPSTREAM_MODEL: "gpt-5" }, {}).input.upstream;
    expect(pinned).toEqual({ apiKey: "sk-openai-env-key-0000", baseURL: "https://api.openai.com/v1", model: "gpt-5" });
    const chosen = overlayConfig({}, { OPENAI_API_KEY: "sk-openai-env-key-0000", HERMES_UPSTREAM_DEFAULT_MODEL: "gpt-5-mini" }, {}).input.upstream;
    expect(chosen).toMatchObject({ defaultModel: "gpt-5-mini" });
    // A key of HERMES_UPSTREAM_KEY or the file's names an upstream the user configured: no OpenAI model is implied.
    expect(overlayConfig({}, { HERMES_UPSTREAM_KEY: "k", HERMES_UPSTREAM_URL: "http://127.0.0.1:11434/v1" }, {}).input.upstream).not.toHaveProperty(
      "defaultModel",
    );
    expect(overlayConfig({ upstream: { apiKey: "k" } }, {}, {}).input.upstream).not.toHaveProperty("defaultModel");
  });
});
