import { type FunctionTool, HermesError, type ToolSide } from "../protocol/index.ts";
import type { PluginRegistry } from "../plugins/registry.ts";

/**
 * The tools one run offers the model: the plugins' server tools, then the client's own. A client
 * tool named like a server tool would make every call ambiguous, so it is a 400 naming the field.
 */
export function toolsForRun(registry: PluginRegistry, clientTools: FunctionTool[]): FunctionTool[] {
  // Without plugins the request's own list goes upstream as it is: nothing to merge, nothing to copy.
  if (registry.definitions.length === 0) return clientTools;
  clientTools.forEach((tool, index) => {
    if (registry.tools.has(tool.name))
      throw new HermesError(`The tool name '${tool.name}' is taken by a server-side tool of this proxy; rename the client tool`, {
        status: 400,
        code: "tool_name_conflict",
        param: `tools[${index}]`,
      });
  });
  return [...registry.definitions, ...clientTools];
}

/** Who runs a call: the proxy when a plugin has a tool of that name, otherwise the client. */
export function sideOf(registry: PluginRegistry, name: string): ToolSide {
  return registry.tools.has(name) ? "server" : "client";
}
