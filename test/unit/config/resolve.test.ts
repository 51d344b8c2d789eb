import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { ConfigError } from "../../../src/config/errors.ts";
import { loadConfigFile } from "../../../src/config/load.ts";
import { resolveConfig } from "../../../src/config/resolve.ts";

let cwd: string;

beforeEach(async () => {
  cwd = await mkdtemp(join(tmpdir(), "hermes-config-"));
});

afterEach(async () => {
  await rm(cwd, { recursive: true, force: true });
});

async function rejection(promise: Promise<unknown>): Promise<ConfigError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  if (!ConfigError.is(error)) throw new Error(`expected a ConfigError, got ${String(error)}`);
  return error;
}

describe("loadConfigFile", () => {
  it("finds hermes.config.ts in the working directory", async () => {
    await writeFile(join(cwd, "hermes.config.ts"), "const port: number = 9001;\nexport default { server: { port } };\n");
    expect(await loadConfigFile({ cwd, env: {} })).toEqual({ config: { server: { port: 9001 } }, source: join(cwd, "hermes.config.ts") });
  });

  it("prefers .ts, then .mts, .js and .mjs", async () => {
    await writeFile(join(cwd, "hermes.config.mjs"), "export default { storage: 'fs:mjs' };\n");
    expect((await loadConfigFile({ cwd, env: {} })).config).toEqual({ storage: "fs:mjs" });
    await writeFile(join(cwd, "hermes.config.mts"), "export default { storage: 'fs:mts' };\n");
    expect((await loadConfigFile({ cwd, env: {} })).config).toEqual({ storage: "fs:mts" });
  });

  it("imports the package's own names (SDK, plugins) from the running copy, in a directory without node_modules", async () => {
    await writeFile(
      join(cwd, "hermes.config.ts"),
      'import clock from "hermes-proxy/plugins/tool-clock";\nimport { defineConfig } from "hermes-proxy/sdk";\nexport default defineConfig({ plugins: [clock()] });\n',
    );
    const { config } = await loadConfigFile({ cwd, env: {} });
    expect((config.plugins as Array<{ name: string }>).map((plugin) => plugin.name)).toEqual(["tool-clock"]);
  });

  it("names the package to install when the config (or a plugin it imports) needs one that is missing", async () => {
    await writeFile(join(cwd, "plugin.ts"), 'import { thing } from "@acme/not-installed/sub";\nexport default () => ({ name: "acme", thing });\n');
    await writeFile(join(cwd, "hermes.config.ts"), 'import acme from "./plugin.ts";\nexport default { plugins: [acme()] };\n');
    const error = await rejection(loadConfigFile({ cwd, env: {} }));
    expect(error.code).toBe("config_load_failed");
    expect(error.message).toBe(
      "could not load config file ./hermes.config.ts: the @acme/not-installed package is not installed: npm install @acme/not-installed",
    );
  });

  it("uses the defaults when there is no config file", async () => {
    expect(await loadConfigFile({ cwd, env: {} })).toEqual({ config: {}, source: undefined });
  });

  it("calls a default-exported function with the environment", async () => {
    await writeFile(join(cwd, "custom.ts"), "export default async (env: Record<string, string | undefined>) => ({ model: { name: env.NAME } });\n");
    const loaded = await loadConfigFile({ cwd, configPath: "custom.ts", env: { NAME: "from-env" } });
    expect(loaded).toEqual({ config: { model: { name: "from-env" } }, source: join(cwd, "custom.ts") });
  });

  it("refuses a --config path that does not exist instead of using the defaults", async () => {
    const error = await rejection(loadConfigFile({ cwd, configPath: "missing.ts", env: {} }));
    expect(error.code).toBe("config_not_found");
    expect(error.message).toBe("config file not found: ./missing.ts (from --config)");
  });

  it("refuses a default export that is not an object or a function", async () => {
    await writeFile(join(cwd, "string.mjs"), "export default 'port 8642';\n");
    const error = await rejection(loadConfigFile({ cwd, configPath: "string.mjs", env: {} }));
    expect(error.code).toBe("config_bad_export");
    expect(error.message).toBe(
      "the default export of ./string.mjs must be an object or a function returning one (`export default defineConfig({ ... })`); it is a string",
    );
    await writeFile(join(cwd, "array.mjs"), "export default [];\n");
    expect((await rejection(loadConfigFile({ cwd, configPath: "array.mjs", env: {} }))).message).toMatch(/it is an array$/);
  });

  it("refuses a file without a default export", async () => {
    await writeFile(join(cwd, "named.ts"), "export const server = { port: 1 };\n");
    expect((await rejection(loadConfigFile({ cwd, configPath: "named.ts", env: {} }))).message).toBe(
      "config file ./named.ts has no default export; write `export default defineConfig({ ... })`",
    );
  });

  it("refuses a config function that returns something else", async () => {
    await writeFile(join(cwd, "fn.mjs"), "export default () => null;\n");
    expect((await rejection(loadConfigFile({ cwd, configPath: "fn.mjs", env: {} }))).message).toBe(
      "the config function in ./fn.mjs must return an object; it returned null",
    );
  });

  it("reports a file that fails to load, with the location of a syntax error", async () => {
    await writeFile(join(cwd, "broken.ts"), "export default { server: {\n");
    const error = await rejection(loadConfigFile({ cwd, configPath: "broken.ts", env: {} }));
    expect(error.code).toBe("config_load_failed");
    expect(error.message).toMatch(/^could not load config file \.\/broken\.ts: .+broken\.ts:\d+:\d+\)$/);
    await writeFile(join(cwd, "throws.ts"), "throw new Error('no database');\n");
    expect((await rejection(loadConfigFile({ cwd, configPath: "throws.ts", env: {} }))).message).toBe("could not load config file ./throws.ts: no database");
  });
});

describe("resolveConfig", () => {
  it("loads, overlays and validates: flag > environment > file > default", async () => {
    await writeFile(join(cwd, "hermes.config.ts"), "export default { server: { port: 1, host: '127.0.0.2' }, model: { name: 'file' } };\n");
    const { config, source, origins } = await resolveConfig({ cwd, env: { HERMES_PORT: "2", HERMES_HOST: "127.0.0.3" }, flags: { port: "3" } });
    expect(config.server.port).toBe(3);
    expect(config.server.host).toBe("127.0.0.3");
    expect(config.model.name).toBe("file");
    expect(config.storage).toBeUndefined();
    expect(source).toBe(join(cwd, "hermes.config.ts"));
    expect(origins.get("server.port")).toBe("--port");
  });

  it("reads the file named by --config", async () => {
    await writeFile(join(cwd, "other.config.ts"), "export default { storage: 'fs:.data' };\n");
    expect((await resolveConfig({ cwd, env: {}, flags: { config: "other.config.ts" } })).config.storage).toBe("fs:.data");
  });

  it("throws one ConfigError naming the file, the fields and the variables", async () => {
    await writeFile(join(cwd, "hermes.config.ts"), "export default { server: { prot: 1 } };\n");
    const error = await rejection(resolveConfig({ cwd, env: { HERMES_PORT: "x" } }));
    expect(error.message).toBe(
      [
        "invalid configuration (config file ./hermes.config.ts):",
        '  - server.port (from HERMES_PORT): expected an integer from 0 to 65535, received "x"',
        '  - server.prot: unknown field; did you mean "server.port"?',
      ].join("\n"),
    );
  });
});
