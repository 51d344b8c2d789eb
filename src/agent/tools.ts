import { type FunctionTool, HermesError, type HostedTool, type ToolSide } from "../protocol/index.ts";
import type { PluginRegistry } from "../plugins/registry.ts";

/**
 * The tools one run offers the model: the plugins' server tools, then the client's own. A client
 * tool named like a server tool would make every call ambiguous, so it is a 400 naming the field.
 * A server tool that stands in for a hosted tool type (`hosted: "web_search"`) is left out when the
 * client's own tool of that type goes upstream (`hostedTools`): the upstream runs it itself.
 */
export function toolsForRun(registry: PluginRegistry, clientTools: FunctionTool[], hostedTools: readonly HostedTool[] = []): FunctionTool[] {
  // Without plugins the request's own list goes upstream as it is: nothing to merge, nothing to copy.
  if (registry.definitions.length === 0) return clientTools;
  const forwarded = new Set(hostedTools.map((tool) => tool.type));
  const definitions = forwarded.size === 0 ? registry.definitions : registry.definitions.filter((tool) => !forwarded.has(registry.tools.get(tool.name)?.tool.hosted ?? ""));
  clientTools.forEach((tool, index) => {
    if (tool.namespace === undefined && registry.tools.has(tool.name))
      throw new HermesError(`The tool name '${tool.name}' is taken by a server-side tool of this proxy; rename the client tool`, {
        status: 400,
        code: "tool_name_conflict",
        param: `tools[${index}]`,
      });
  });
  return [...definitions, ...clientTools];
}

/** Who runs a call: the proxy when a plugin has a tool of that name, otherwise the client. */
export function sideOf(registry: PluginRegistry, name: string): ToolSide {
  return registry.tools.has(name) ? "server" : "client";
}
