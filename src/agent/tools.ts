import { type FunctionTool, HermesError, type HostedTool, type ToolSide } from "../protocol/index.ts";
import type { HermesTool } from "../plugin-api/index.ts";
import { hostedByType, type PluginRegistry, type ToolSet, type ToolSource, toolDefinition } from "../plugins/registry.ts";
import { logger } from "../utils/logger.ts";

/**
 * The server tools of one run: the fixed ones, then those the changing sources (MCP servers) list
 * now. A proxy without sources gets its registry back at once. A source that fails, or lists a name
 * already taken, loses only those tools for this run: the run goes on, and the log says why once
 * per new reason.
 */
export async function toolSetFor(registry: PluginRegistry, signal: AbortSignal): Promise<ToolSet> {
  if (registry.sources.length === 0) return registry;
  const listed = await Promise.all(registry.sources.map((source) => listSource(source, signal)));
  // A source hands back the same list until it changes: the set built last time is reused as it was.
  const last = lastSets.get(registry);
  if (last && last.listed.every((list, index) => list === listed[index])) return last.set;
  const set = buildSet(registry, listed);
  lastSets.set(registry, { listed, set });
  return set;
}

const lastSets = new WeakMap<PluginRegistry, { listed: readonly (readonly HermesTool[])[]; set: ToolSet }>();

function buildSet(registry: PluginRegistry, listed: readonly (readonly HermesTool[])[]): ToolSet {
  const tools = new Map(registry.tools);
  listed.forEach((list, index) => {
    const source = registry.sources[index] as ToolSource;
    for (const tool of list) {
      if (tool?.kind !== "tool") continue;
      const owner = tools.get(tool.name);
      if (owner) {
        warnOnce(source, `tool ${tool.name} is left out: plugin ${owner.plugin} has a tool of that name`);
        continue;
      }
      tools.set(tool.name, { tool, plugin: source.plugin.name, ...source.services });
    }
  });
  return { tools, definitions: [...tools.values()].map(toolDefinition), hosted: hostedByType(tools.values()) };
}

async function listSource(source: ToolSource, signal: AbortSignal): Promise<readonly HermesTool[]> {
  try {
    const tools = await source.listTools({ signal, logger: source.services.logger });
    return Array.isArray(tools) ? tools : none;
  } catch (error) {
    if (!signal.aborted) warnOnce(source, `its tools are left out of this run: ${error instanceof Error ? error.message : String(error)}`);
    return none;
  }
}

const none: readonly HermesTool[] = [];

const warned = new WeakMap<ToolSource, Set<string>>();

function warnOnce(source: ToolSource, message: string): void {
  let seen = warned.get(source);
  if (!seen) warned.set(source, (seen = new Set()));
  if (seen.has(message)) return;
  seen.add(message);
  logger.warn(`plugin ${source.plugin.name}: ${message}`);
}

/**
 * The tools one run offers the model: the run's server tools, then the client's own. A client tool
 * named like a server tool would make every call ambiguous, so it is a 400 naming the field. A server
 * tool that stands in for a hosted tool type (`hosted: "web_search"`) is left out when the client's own
 * tool of that type goes upstream (`hostedTools`): the upstream runs it itself.
 */
export function toolsForRun(set: ToolSet, clientTools: FunctionTool[], hostedTools: readonly HostedTool[] = []): FunctionTool[] {
  // Without server tools the request's own list goes upstream as it is: nothing to merge, nothing to copy.
  if (set.definitions.length === 0) return clientTools;
  const forwarded = new Set(hostedTools.map((tool) => tool.type));
  const definitions = forwarded.size === 0 ? set.definitions : set.definitions.filter((tool) => !forwarded.has(set.tools.get(tool.name)?.tool.hosted ?? ""));
  clientTools.forEach((tool, index) => {
    if (tool.namespace === undefined && set.tools.has(tool.name))
      throw new HermesError(`The tool name '${tool.name}' is taken by a server-side tool of this proxy; rename the client tool`, {
        status: 400,
        code: "tool_name_conflict",
        param: `tools[${index}]`,
      });
  });
  return [...definitions, ...clientTools];
}

/** Who runs a call: the proxy when one of the run's server tools has that name, otherwise the client. */
export function sideOf(set: ToolSet, name: string): ToolSide {
  return set.tools.has(name) ? "server" : "client";
}
