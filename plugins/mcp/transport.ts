import type { Client } from "@modelcontextprotocol/sdk/client/index.js";
import type { Transport } from "@modelcontextprotocol/sdk/shared/transport.js";
import type { McpClientSdk } from "./load-sdk.ts";

/** Where an MCP server is: a command this plugin runs (stdio), or a URL (Streamable HTTP, else SSE). */
export type McpEndpoint =
  | { kind: "stdio"; command: string; args: readonly string[]; env: Readonly<Record<string, string>>; cwd: string | undefined }
  | { kind: "http"; url: URL; headers: Readonly<Record<string, string>> };

/** A connected client and its transport. */
export interface Connected {
  client: Client;
  transport: Transport;
  /** The child's pid, for a stdio server. */
  pid: number | undefined;
}

/**
 * Connects a new client (one per attempt: a client that failed to connect is not reused) to the endpoint. Stdio: the child gets `env` over the SDK's minimal inherited
 * environment (PATH, HOME, …), and its stderr is handed to `onStderr` line by line. HTTP: Streamable
 * HTTP first; a server that refuses it (an older one) is tried over the deprecated HTTP+SSE transport.
 *
 * @throws {Error} the connection's failure; for HTTP, both transports' when both fail.
 */
export async function connectTransport(
  sdk: McpClientSdk,
  newClient: () => Client,
  endpoint: McpEndpoint,
  options: { signal: AbortSignal; timeoutMs: number; onStderr: (line: string) => void },
): Promise<Connected> {
  const request = { signal: options.signal, timeout: options.timeoutMs };
  if (endpoint.kind === "stdio") {
    const transport = new sdk.StdioClientTransport({
      command: endpoint.command,
      args: [...endpoint.args],
      env: { ...endpoint.env },
      ...(endpoint.cwd !== undefined && { cwd: endpoint.cwd }),
      stderr: "pipe",
    });
    let partial = "";
    transport.stderr?.on("data", (chunk: Buffer) => {
      const lines = (partial + chunk.toString("utf8")).split("\n");
      partial = lines.pop() ?? "";
      for (const line of lines) if (line.trim() !== "") options.onStderr(line.trimEnd());
    });
    const client = newClient();
    await client.connect(transport, request);
    return { client, transport, pid: transport.pid ?? undefined };
  }
  const requestInit = { headers: { ...endpoint.headers } };
  const streamable = new sdk.StreamableHTTPClientTransport(endpoint.url, { requestInit });
  try {
    const client = newClient();
    await client.connect(streamable, request);
    return { client, transport: streamable, pid: undefined };
  } catch (error) {
    await streamable.close().catch(() => undefined);
    if (options.signal.aborted) throw error;
    const sse = new sdk.SSEClientTransport(endpoint.url, { requestInit });
    try {
      const client = newClient();
      await client.connect(sse, request);
      return { client, transport: sse, pid: undefined };
    } catch (fallback) {
      await sse.close().catch(() => undefined);
      throw new Error(`Streamable HTTP: ${messageOf(error)}; SSE: ${messageOf(fallback)}`, { cause: fallback });
    }
  }
}

export function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
