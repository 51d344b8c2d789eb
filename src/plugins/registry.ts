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

/** The server tools one run offers: looked up by name, and their definitions as the upstream sees them. */
export interface ToolSet {
  tools: ReadonlyMap<string, RegisteredTool>;
  definitions: readonly FunctionTool[];
  /** The server tools that claim a hosted tool type (`defineTool({ hosted: "web_search" })`), by that type. */
  hosted?: ReadonlyMap<string, RegisteredTool>;
}

/** A plugin whose tools change while the proxy runs (`listTools`), with what its calls are handed. */
export interface ToolSource {
  plugin: HermesPlugin;
  listTools: NonNullable<HermesPlugin["listTools"]>;
  services: PluginServices;
}

/**
 * Everything the plugins contribute, built once at start: requests look the fixed tools up by name
 * and send the prebuilt definitions upstream. Plugins with a changing list (`sources`) are asked when
 * a run starts (`toolSetFor` in `agent/tools.ts`); a proxy without them resolves nothing per request.
 */
export interface PluginRegistry extends ToolSet {
  plugins: readonly HermesPlugin[];
  /** The fixed tools. */
  tools: ReadonlyMap<string, RegisteredTool>;
  /** The fixed server tools as the upstream sees them, JSON Schema computed once by `defineTool`. */
  definitions: readonly FunctionTool[];
  /** Plugins whose tools are listed per run; empty for most proxies. */
  sources: readonly ToolSource[];
  /** Undefined when no plugin has hooks: the agent loop then does not wrap the run at all. */
  hooks: RunHooks | undefined;
  /** The storage driver a plugin contributed, if any. */
  storage: HermesStorage | undefined;
  /** Observation hooks (plugins', metrics', the request log's); undefined when nothing observes. */
  observers?: Observers | undefined;
}

/** A registry with nothing in it: the proxy without plugins. */
export const emptyRegistry: PluginRegistry = { plugins: [], tools: new Map(), definitions: [], sources: [], hooks: undefined, storage: undefined };

/** What one plugin gets from the host: its storage namespace and logger. */
export interface PluginServices {
  storage: Storage;
  logger: PluginLogger;
}

/**
 * Builds the registry from validated plugins (names already checked unique by the config schema).
 * `services` is asked once per plugin; `observers` are merged beforehand (see `observers.ts`).
 */
export function createRegistry(plugins: readonly HermesPlugin[], services: (plugin: HermesPlugin) => PluginServices, observers?: Observers): PluginRegistry {
  if (plugins.length === 0) return observers ? { ...emptyRegistry, observers } : emptyRegistry;
  const tools = new Map<string, RegisteredTool>();
  const hooks: RunHooks = { onRunStart: [], onEvent: [], onRunEnd: [] };
  let storage: HermesStorage | undefined;
  const sources: ToolSource[] = [];
  for (const plugin of plugins) {
    const given = services(plugin);
    for (const tool of plugin.tools) tools.set(tool.name, { tool, plugin: plugin.name, ...given });
    if (plugin.listTools) sources.push({ plugin, listTools: plugin.listTools.bind(plugin), services: given });
    if (plugin.hooks?.onRunStart) hooks.onRunStart.push(plugin.hooks.onRunStart.bind(plugin.hooks));
    if (plugin.hooks?.onEvent) hooks.onEvent.push(plugin.hooks.onEvent.bind(plugin.hooks));
    if (plugin.hooks?.onRunEnd) hooks.onRunEnd.push(plugin.hooks.onRunEnd.bind(plugin.hooks));
    storage ??= plugin.storage;
  }
  const hosted = hostedByType(tools.values());
  const definitions = [...tools.values()].map(toolDefinition);
  const hasHooks = hooks.onRunStart.length + hooks.onEvent.length + hooks.onRunEnd.length > 0;
  return { plugins, tools, definitions, hosted, sources, hooks: hasHooks ? hooks : undefined, storage, observers };
}

/** The server tools that claim a hosted tool type, by that type; two claiming one type is a config error. */
export function hostedByType(registered: Iterable<RegisteredTool>): Map<string, RegisteredTool> {
  const hosted = new Map<string, RegisteredTool>();
  for (const entry of registered) {
    const type = entry.tool.hosted;
    if (type === undefined) continue;
    const other = hosted.get(type);
    if (other)
      throw new Error(`Two server tools claim the hosted tool type '${type}': ${other.tool.name} (${other.plugin}) and ${entry.tool.name} (${entry.plugin})`);
    hosted.set(type, entry);
  }
  return hosted;
}

/** A server tool as the upstream sees it. */
export function toolDefinition({ tool }: RegisteredTool): FunctionTool {
  return { name: tool.name, description: tool.description, parameters: tool.jsonSchema };
}
