import type { Storage } from "unstorage";
import type { FunctionTool } from "../protocol/index.ts";
import type { HermesPlugin, HermesStorage, HermesTool, PluginHooks, PluginLogger } from "../plugin-api/index.ts";
import type { Observers } from "./observers.ts";

/** A server tool ready to run: its definition and what its plugin hands every call. */
export interface RegisteredTool {
  tool: HermesTool;
  /** The plugin it came from. */
  plugin: string;
  /** The plugin's namespace of the proxy's storage. */
  storage: Storage;
  logger: PluginLogger;
}

/** The plugins' hooks, gathered per kind: each list runs in plugin order. */
export interface RunHooks {
  onRunStart: NonNullable<PluginHooks["onRunStart"]>[];
  onEvent: NonNullable<PluginHooks["onEvent"]>[];
  onRunEnd: NonNullable<PluginHooks["onRunEnd"]>[];
}

/**
 * Everything the plugins contribute, built once at start: requests look tools up by name and send
 * the prebuilt definitions upstream; nothing is resolved per request.
 */
export interface PluginRegistry {
  plugins: readonly HermesPlugin[];
  tools: ReadonlyMap<string, RegisteredTool>;
  /** The server tools as the upstream sees them, JSON Schema computed once by `defineTool`. */
  definitions: readonly FunctionTool[];
  /** The server tools that claim a hosted tool type (`defineTool({ hosted: "web_search" })`), by that type. */
  hosted?: ReadonlyMap<string, RegisteredTool>;
  /** Undefined when no plugin has hooks: the agent loop then does not wrap the run at all. */
  hooks: RunHooks | undefined;
  /** The storage driver a plugin contributed, if any. */
  storage: HermesStorage | undefined;
  /** Observation hooks (plugins', metrics', the request log's); undefined when nothing observes. */
  observers?: Observers | undefined;
}

/** A registry with nothing in it: the proxy without plugins. */
export const emptyRegistry: PluginRegistry = { plugins: [], tools: new Map(), definitions: [], hooks: undefined, storage: undefined };

/** What one plugin gets from the host: its storage namespace and logger. */
export interface PluginServices {
  storage: Storage;
  logger: PluginLogger;
}

/**
 * Builds the registry from validated plugins (names already checked unique by the config schema).
 * `services` is asked once per plugin; `observers` are merged beforehand (see `observers.ts`).
 */
export function createRegistry(
  plugins: readonly HermesPlugin[],
  services: (plugin: HermesPlugin) => PluginServices,
  observers?: Observers,
): PluginRegistry {
  if (plugins.length === 0) return observers ? { ...emptyRegistry, observers } : emptyRegistry;
  const tools = new Map<string, RegisteredTool>();
  const hooks: RunHooks = { onRunStart: [], onEvent: [], onRunEnd: [] };
  let storage: HermesStorage | undefined;
  for (const plugin of plugins) {
    const given = services(plugin);
    for (const tool of plugin.tools) tools.set(tool.name, { tool, plugin: plugin.name, ...given });
    if (plugin.hooks?.onRunStart) hooks.onRunStart.push(plugin.hooks.onRunStart.bind(plugin.hooks));
    if (plugin.hooks?.onEvent) hooks.onEvent.push(plugin.hooks.onEvent.bind(plugin.hooks));
    if (plugin.hooks?.onRunEnd) hooks.onRunEnd.push(plugin.hooks.onRunEnd.bind(plugin.hooks));
    storage ??= plugin.storage;
  }
  const hosted = new Map<string, RegisteredTool>();
  for (const registered of tools.values()) {
    const type = registered.tool.hosted;
    if (type === undefined) continue;
    const other = hosted.get(type);
    if (other) throw new Error(`Two server tools claim the hosted tool type '${type}': ${other.tool.name} (${other.plugin}) and ${registered.tool.name} (${registered.plugin})`);
    hosted.set(type, registered);
  }
  const definitions = [...tools.values()].map(
    ({ tool }): FunctionTool => ({ name: tool.name, description: tool.description, parameters: tool.jsonSchema }),
  );
  const hasHooks = hooks.onRunStart.length + hooks.onEvent.length + hooks.onRunEnd.length > 0;
  return { plugins, tools, definitions, hosted, hooks: hasHooks ? hooks : undefined, storage, observers };
}
