import type { EventHandler } from "h3";
import type { FunctionTool } from "../../protocol/index.ts";
import { callServedTool, servedTools } from "../../runtime/served-tools.ts";
import { clientOf, type ServerContext } from "../context.ts";
import type { McpServerSdk } from "./load-sdk.ts";

/**
 * `/mcp`: the proxy as an MCP server over Streamable HTTP, stateless (each POST is answered on its
 * own, so any instance behind a load balancer can answer it, and nothing is kept between requests).
 * The SDK's web-standard transport takes the h3 request's web `Request` and gives back the web
 * `Response` (JSON, or an SSE stream while a call reports progress). Bearer auth, CORS and the drain
 * are the app's middleware, as for every route. A stateless server has no stream to push
 * `notifications/tools/list_changed` on: a client lists the tools again when it reconnects.
 */
export function createMcpHandler(context: ServerContext, sdk: McpServerSdk): EventHandler {
  return async (event) => {
    const server = new sdk.Server({ name: "hermes-proxy", version: context.version }, { capabilities: { tools: {} } });
    const client = clientOf(event);
    server.setRequestHandler(sdk.ListToolsRequestSchema, async (_request, extra) => {
      const set = await servedTools(context, extra.signal);
      return { tools: set.definitions.map(mcpTool) };
    });
    server.setRequestHandler(sdk.CallToolRequestSchema, async (request, extra) => {
      const token = request.params._meta?.progressToken;
      const result = await callServedTool(context, request.params.name, request.params.arguments, {
        client: (onGone) => {
          const stopWatching = client(onGone);
          const onAbort = () => onGone(extra.signal.reason);
          extra.signal.addEventListener("abort", onAbort, { once: true });
          return () => {
            stopWatching();
            extra.signal.removeEventListener("abort", onAbort);
          };
        },
        onProgress: (update) => {
          if (token === undefined) return;
          void extra.sendNotification({ method: "notifications/progress", params: { progressToken: token, ...update } }).catch(() => undefined);
        },
      });
      return { content: [{ type: "text", text: result.output }], isError: result.isError };
    });
    const transport = new sdk.WebStandardStreamableHTTPServerTransport({
      sessionIdGenerator: undefined,
      maxRequestBodySize: context.config.server.bodyLimit,
    });
    await server.connect(transport);
    return transport.handleRequest(event.req);
  };
}

/** A server tool as MCP lists it: the JSON Schema the model gets, unchanged. */
function mcpTool(tool: FunctionTool): { name: string; description?: string; inputSchema: { type: "object"; [key: string]: unknown } } {
  return {
    name: tool.name,
    ...(tool.description !== undefined && { description: tool.description }),
    inputSchema: { type: "object", ...(tool.parameters as Record<string, unknown> | undefined) },
  };
}
