import { displayPath, loadConfigFile } from "./load.ts";
import type { ConfigEnv, ConfigFlags, ConfigOrigins } from "./overlay.ts";
import { overlayConfig } from "./overlay.ts";
import type { HermesConfig } from "./schema.ts";
import { validateConfig } from "./validate.ts";

export interface ResolveConfigOptions {
  /** Command-line flags; `flags.config` names the config file. */
  flags?: ConfigFlags;
  /** @default process.env */
  env?: ConfigEnv;
  /** Where relative paths and the default config file are looked up. @default process.cwd() */
  cwd?: string;
}

export interface ResolvedConfig {
  config: HermesConfig;
  /** Absolute path of the config file used, or undefined when there was none. */
  source: string | undefined;
  /** Which fields the environment or a flag set, and by which name. */
  origins: ConfigOrigins;
}

/**
 * The whole pipeline: find and load the config file, overlay the environment and flags
 * (flag > environment > file > default), validate and apply defaults.
 *
 * @throws {ConfigError} with a readable, possibly multi-line message naming each bad field.
 * @example
 * const { config, source } = await resolveConfig({ flags: { port: "9000" }, env: process.env, cwd: process.cwd() });
 */
export async function resolveConfig(options: ResolveConfigOptions = {}): Promise<ResolvedConfig> {
  const env = options.env ?? process.env;
  const cwd = options.cwd ?? process.cwd();
  const flags = options.flags ?? {};
  const file = await loadConfigFile({ cwd, configPath: flags.config, env });
  const { input, origins } = overlayConfig(file.config, env, flags);
  const config = validateConfig(input, {
    origins,
    source: file.source === undefined ? undefined : displayPath(file.source, cwd),
  });
  return { config, source: file.source, origins };
}
