import { describe, expect, it } from "vitest";
import { parseArguments } from "../../../src/cli/args.ts";
import { bannerLines } from "../../../src/cli/banner.ts";
import { listeningURL } from "../../../src/server/network-urls.ts";
import { validateConfig } from "../../../src/config/validate.ts";

describe("parseArguments", () => {
  it("serves by default and passes the config flags through", () => {
    expect(parseArguments([])).toEqual({ command: "serve", flags: {} });
    expect(parseArguments(["serve", "--port", "0", "--host", "::1", "--config", "x.ts"])).toEqual({
      command: "serve",
      flags: { port: "0", host: "::1", config: "x.ts" },
    });
    expect(parseArguments(["check", "-c", "x.ts"])).toEqual({ command: "check", flags: { config: "x.ts" } });
    expect(parseArguments(["--port=9000"])).toEqual({ command: "serve", flags: { port: "9000" } });
  });

  it("recognises --help and --version anywhere", () => {
    expect(parseArguments(["check", "--help"]).command).toBe("help");
    expect(parseArguments(["-v"]).command).toBe("version");
  });

  it("refuses unknown options and commands with a suggestion", () => {
    expect(() => parseArguments(["--prot", "1"])).toThrow("unknown option --prot; did you mean --port?");
    expect(() => parseArguments(["--verbose"])).toThrow("unknown option --verbose");
    expect(() => parseArguments(["chek"])).toThrow('unknown command "chek"; did you mean "check"? (commands: serve, check)');
    expect(() => parseArguments(["serve", "extra"])).toThrow('unexpected argument "extra"');
  });

  it("refuses an option without its value", () => {
    expect(() => parseArguments(["--port"])).toThrow("--port needs a value");
    expect(() => parseArguments(["--config", "--port", "1"])).toThrow("--config needs a value");
    expect(() => parseArguments(["--help=yes"])).toThrow("--help does not take a value");
  });
});

describe("bannerLines", () => {
  const base = { version: "1.2.3", host: "127.0.0.1", port: 8642, source: undefined };

  it("prints the greppable Listening line and the echo upstream", () => {
    const storage = { description: "fs:/srv/app/.hermes", source: "default" as const };
    const lines = bannerLines({ ...base, config: validateConfig({}), upstreamKind: "echo", storage });
    expect(lines).toEqual([
      "hermes-proxy 1.2.3",
      "Listening on http://127.0.0.1:8642",
      "  upstream: echo (embedded; set OPENAI_API_KEY or HERMES_UPSTREAM_URL for a real model)",
      "  model:    hermes-agent",
      "  storage:  fs:/srv/app/.hermes (default; set HERMES_STORAGE to change)",
      "  auth:     off (no API key)",
      "  config:   none (defaults and environment)",
    ]);
  });

  it("shows a real upstream by origin only, and auth without the key", () => {
    const config = validateConfig({
      server: { apiKey: "secret-key-0123456789" },
      upstream: { baseURL: "https://user:pw@llm.example:8443/v1?key=abc", apiKey: "sk-upstream-secret", model: "gpt-x" },
    });
    const text = bannerLines({ ...base, config, upstreamKind: "chat", source: "./hermes.config.ts" }).join("\n");
    expect(text).toContain("  upstream: chat https://llm.example:8443 (model gpt-x)");
    expect(text).toContain("  auth:     on (Bearer API key required)");
    expect(text).toContain("  config:   ./hermes.config.ts");
    for (const secret of ["secret-key", "pw@", "sk-upstream", "key=abc"]) expect(text).not.toContain(secret);
  });

  it("lists the plugins and their tools", async () => {
    const { default: calculator } = await import("../../../plugins/tool-calculator/index.ts");
    const lines = bannerLines({ ...base, config: validateConfig({ plugins: [calculator()] }), upstreamKind: "echo" });
    expect(lines.at(-2)).toBe("  plugins:  tool-calculator (tools: calculate)");
  });

  it("brackets IPv6 hosts in URLs", () => {
    expect(listeningURL("::1", 80)).toBe("http://[::1]:80");
    expect(listeningURL("::1", 443, "https")).toBe("https://[::1]:443");
  });
});
