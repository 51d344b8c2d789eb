import { randomUUID } from "node:crypto";
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { fileURLToPath } from "node:url";
import { StreamableHTTPServerTransport } from "@modelcontextprotocol/sdk/server/streamableHttp.js";
import { createFixtureServer } from "../fixtures/mcp/fixture-server.mjs";

/** The fixture MCP server's script: run it with node for a stdio server. */
export const fixtureScript = fileURLToPath(new URL("../fixtures/mcp/fixture-server.mjs", import.meta.url));

export interface McpHttpFixture {
  /** `http://127.0.0.1:PORT/mcp` */
  url: string;
  /** The headers of every request, oldest first. */
  headers: IncomingHttpHeaders[];
  close(): Promise<void>;
}

/**
 * The fixture served over Streamable HTTP on a loopback port, one session per client (so that
 * `notifications/tools/list_changed` reaches it on its GET stream). Requests without
 * `Authorization: Bearer <token>` get a 401.
 */
export async function startMcpHttpFixture(token: string, port = 0): Promise<McpHttpFixture> {
  const sessions = new Map<string, StreamableHTTPServerTransport>();
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    headers.push(request.headers);
    if (request.headers.authorization !== `Bearer ${token}`) {
      response.writeHead(401).end();
      return;
    }
    const id = request.headers["mcp-session-id"];
    let transport = typeof id === "string" ? sessions.get(id) : undefined;
    const ready = (async () => {
      if (!transport) {
        const created: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
          sessionIdGenerator: () => randomUUID(),
          onsessioninitialized: (sessionId) => void sessions.set(sessionId, created),
        });
        transport = created;
        await createFixtureServer().connect(created);
      }
      await transport.handleRequest(request, response);
    })();
    ready.catch(() => response.destroy());
  });
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/mcp`,
    headers,
    async close() {
      await Promise.all([...sessions.values()].map((transport) => transport.close().catch(() => undefined)));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/**
 * The fixture over the older HTTP+SSE transport only (`GET /sse` opens the stream, `POST /messages`
 * carries requests), as servers from before Streamable HTTP speak it: a POST to `/sse` is a 405.
 */
export async function startMcpSseFixture(): Promise<McpHttpFixture> {
  const { SSEServerTransport } = await import("@modelcontextprotocol/sdk/server/sse.js");
  const sessions = new Map<string, InstanceType<typeof SSEServerTransport>>();
  const headers: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    headers.push(request.headers);
    const url = new URL(request.url ?? "/", "http://localhost");
    if (request.method === "GET" && url.pathname === "/sse") {
      const transport = new SSEServerTransport("/messages", response);
      sessions.set(transport.sessionId, transport);
      response.on("close", () => sessions.delete(transport.sessionId));
      createFixtureServer()
        .connect(transport)
        .catch(() => response.destroy());
      return;
    }
    const transport = sessions.get(url.searchParams.get("sessionId") ?? "");
    if (request.method === "POST" && url.pathname === "/messages" && transport) {
      transport.handlePostMessage(request, response).catch(() => response.destroy());
      return;
    }
    response.writeHead(request.method === "POST" ? 405 : 404).end();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/sse`,
    headers,
    async close() {
      await Promise.all([...sessions.values()].map((transport) => transport.close().catch(() => undefined)));
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
