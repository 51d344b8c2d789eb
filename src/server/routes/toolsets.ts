import type { ServerContext } from "../context.ts";

/**
 * `GET /v1/toolsets`: the server tools, one toolset per plugin that has tools, in the original server's
 * shape (`{object: "list", platform, data: [{name, label, description, enabled, configured, tools}]}`,
 * tool names sorted). Every loaded plugin's tools run, so each set is enabled and configured; what a
 * tool takes is on `GET /v1/capabilities` (`tools[].parameters`).
 */
export function createToolsetsHandler(context: ServerContext) {
  const data = context.registry.plugins
    .filter((plugin) => plugin.tools.length > 0)
    .map((plugin) => ({
      name: plugin.name,
      label: plugin.name,
      description: plugin.tools.map((tool) => `${tool.name}: ${firstSentence(tool.description)}`).join(" "),
      enabled: true,
      configured: true,
      tools: plugin.tools.map((tool) => tool.name).sort(),
    }));
  const body = { object: "list", platform: "api_server", data };
  return () => body;
}

function firstSentence(text: string): string {
  const end = text.search(/\.(\s|$)/);
  return end === -1 ? text : text.slice(0, end + 1);
}
