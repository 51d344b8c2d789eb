import { prefixStorage, type Storage } from "unstorage";
import type { HermesPlugin, PluginLogger } from "../plugin-api/index.ts";
import { keys } from "../state/keys.ts";
import { createLogger, type LogLevel } from "../utils/logger.ts";
import type { Observers } from "./observers.ts";
import { createRegistry, type PluginRegistry } from "./registry.ts";

/**
 * Loads the configured plugins once at start: each gets its own namespace of the proxy's storage
 * (`plugins:<name>:`, so no plugin can read another's keys or the proxy's) and a logger that names it.
 *
 * @example
 * const registry = loadPlugins(config.plugins, storage);
 * registry.tools.get("clock")?.tool.description;
 */
export function loadPlugins(plugins: readonly HermesPlugin[], storage: Storage, observers?: Observers): PluginRegistry {
  return createRegistry(
    plugins,
    (plugin) => ({
      storage: prefixStorage(storage, keys.plugin(plugin.name)),
      logger: createPluginLogger(plugin.name),
    }),
    observers,
  );
}

/** The proxy's logger with the plugin's name after the prefix; details as JSON on the same line, so logs stay greppable. */
export function createPluginLogger(name: string): PluginLogger {
  const log = createLogger(name);
  const at = (level: LogLevel) => (message: string, details?: Record<string, unknown>) => {
    if (details === undefined) log[level](message);
    else log[level](message, safeJson(details));
  };
  return { debug: at("debug"), info: at("info"), warn: at("warn"), error: at("error") };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return "[details not serialisable]";
  }
}
