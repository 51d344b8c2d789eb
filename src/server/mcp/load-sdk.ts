import { withOptionalPackage } from "../../utils/index.ts";

/**
 * The MCP SDK's server side, loaded only when `mcp.serve` is on: it is an optional peer dependency,
 * and a proxy that does not serve MCP never needs it. Missing, it is one line that says what to install.
 */

type ServerModule = typeof import("@modelcontextprotocol/sdk/server/index.js");
type TransportModule = typeof import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js");
type TypesModule = typeof import("@modelcontextprotocol/sdk/types.js");

export interface McpServerSdk {
  Server: ServerModule["Server"];
  WebStandardStreamableHTTPServerTransport: TransportModule["WebStandardStreamableHTTPServerTransport"];
  ListToolsRequestSchema: TypesModule["ListToolsRequestSchema"];
  CallToolRequestSchema: TypesModule["CallToolRequestSchema"];
}

/** @throws {Error} `npm install @modelcontextprotocol/sdk` when the package is not installed. */
export function loadMcpServerSdk(): Promise<McpServerSdk> {
  return withOptionalPackage("@modelcontextprotocol/sdk", "mcp.serve", async () => {
    const [server, transport, types] = await Promise.all([
      import("@modelcontextprotocol/sdk/server/index.js"),
      import("@modelcontextprotocol/sdk/server/webStandardStreamableHttp.js"),
      import("@modelcontextprotocol/sdk/types.js"),
    ]);
    return {
      Server: server.Server,
      WebStandardStreamableHTTPServerTransport: transport.WebStandardStreamableHTTPServerTransport,
      ListToolsRequestSchema: types.ListToolsRequestSchema,
      CallToolRequestSchema: types.CallToolRequestSchema,
    };
  });
}
