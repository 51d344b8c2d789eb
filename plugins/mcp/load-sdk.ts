import { withOptionalPackage } from "../../sdk/index.ts";

/**
 * The MCP SDK, loaded when a server is first started rather than when the config imports this plugin:
 * it is an optional peer dependency, and a proxy that uses no MCP server never needs it. Missing, it
 * is one line that says what to install.
 */

type ClientModule = typeof import("@modelcontextprotocol/sdk/client/index.js");
type StdioModule = typeof import("@modelcontextprotocol/sdk/client/stdio.js");
type HttpModule = typeof import("@modelcontextprotocol/sdk/client/streamableHttp.js");
type SseModule = typeof import("@modelcontextprotocol/sdk/client/sse.js");
type TypesModule = typeof import("@modelcontextprotocol/sdk/types.js");

export interface McpClientSdk {
  Client: ClientModule["Client"];
  StdioClientTransport: StdioModule["StdioClientTransport"];
  StreamableHTTPClientTransport: HttpModule["StreamableHTTPClientTransport"];
  SSEClientTransport: SseModule["SSEClientTransport"];
  ToolListChangedNotificationSchema: TypesModule["ToolListChangedNotificationSchema"];
}

let loading: Promise<McpClientSdk> | undefined;

/** @throws {Error} `npm install @modelcontextprotocol/sdk` when the package is not installed. */
export function loadMcpSdk(): Promise<McpClientSdk> {
  loading ??= withOptionalPackage("@modelcontextprotocol/sdk", "the mcp plugin", async () => {
    const [client, stdio, http, sse, types] = await Promise.all([
      import("@modelcontextprotocol/sdk/client/index.js"),
      import("@modelcontextprotocol/sdk/client/stdio.js"),
      import("@modelcontextprotocol/sdk/client/streamableHttp.js"),
      import("@modelcontextprotocol/sdk/client/sse.js"),
      import("@modelcontextprotocol/sdk/types.js"),
    ]);
    return {
      Client: client.Client,
      StdioClientTransport: stdio.StdioClientTransport,
      StreamableHTTPClientTransport: http.StreamableHTTPClientTransport,
      SSEClientTransport: sse.SSEClientTransport,
      ToolListChangedNotificationSchema: types.ToolListChangedNotificationSchema,
    };
  }).catch((error: unknown) => {
    // A failed load is tried again on the next start, not remembered.
    loading = undefined;
    throw error;
  });
  return loading;
}
