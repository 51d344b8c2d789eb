import { prefixStorage, type Storage } from "unstorage";
import type { HermesPlugin, PluginLogger } from "../plugin-api/index.ts";
import { keys } from "../state/keys.ts";
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

/** Console lines prefixed with the plugin's name; details as JSON on the same line, so logs stay greppable. */
export function createPluginLogger(name: string): PluginLogger {
  const write = (method: "debug" | "info" | "warn" | "error") => (message: string, details?: Record<string, unknown>) => {
    const line = `[hermes-proxy] [${name}] ${message}`;
    if (details === undefined) console[method](line);
    else console[method](line, safeJson(details));
  };
  return { debug: write("debug"), info: write("info"), warn: write("warn"), error: write("error") };
}

function safeJson(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    return "[details not serialisable]";
  }
}
