import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { Socket } from "node:net";
import { networkInterfaces } from "node:os";
import { isLoopbackHost } from "../config/loopback.ts";

/** A refusal to listen, already worded for the operator. */
export class ListenError extends Error {
  override readonly name = "ListenError";
}

/** The listening server, what the banner shows of it, and its graceful close. */
export interface Listener {
  server: Server;
  address: { port: number };
  /** Where other machines reach the server: empty on loopback. */
  networkURLs(): string[];
  /** Stops listening, closes idle keep-alive connections at once and the others after their response. */
  close(): Promise<void>;
}

// Refused up front with a clear message rather than handed to `listen()`.
const acceptedHost = /^(?!-)[\d.:A-Za-z-]{1,63}(?<!-)$/;
const anyHosts = new Set(["0.0.0.0", "::"]);

/** `[::1]` → `::1`: the bracketed form belongs in URLs, not in `listen()`. */
export function bareHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, "$1");
}

/**
 * Listens with `node:http` on exactly the configured port (0: any free port), or fails with one clear
 * line. Plain `node:http` rather than listhen: listhen loads its HTTPS certificate generator (node-forge)
 * and QR code renderer with it, about 5 MiB of memory for features the proxy does not use.
 *
 * @throws {ListenError} port in use, no permission, address not on this machine, unknown host.
 */
export async function listenExactly(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: { port: number; host: string },
): Promise<Listener> {
  const host = bareHost(options.host);
  if (!acceptedHost.test(host)) throw new ListenError(`"${options.host}" is not a valid host name or IP address to listen on`);
  const server = createServer(handler);
  const closing = trackConnections(server);
  const error = await new Promise<unknown>((resolve) => {
    server.once("error", resolve);
    server.listen({ port: options.port, host }, () => {
      server.off("error", resolve);
      resolve(undefined);
    });
  });
  if (error !== undefined) throw explainBindFailure(error, options.port, host);
  const { port } = server.address() as { port: number };
  let closed: Promise<void> | undefined;
  return {
    server,
    address: { port },
    networkURLs: () => networkURLs(host, port),
    close: () => (closed ??= closing()),
  };
}

/**
 * Follows the server's connections so that `close` can end them the way listhen's http-shutdown did:
 * idle keep-alive connections at once, busy ones as soon as their response is over.
 */
function trackConnections(server: Server): () => Promise<void> {
  const busy = new Map<Socket, number>();
  let shuttingDown = false;
  server.on("connection", (socket: Socket) => {
    busy.set(socket, 0);
    socket.once("close", () => busy.delete(socket));
  });
  server.on("request", (request: IncomingMessage, response: ServerResponse) => {
    const { socket } = request;
    busy.set(socket, (busy.get(socket) ?? 0) + 1);
    response.once("close", () => {
      const left = (busy.get(socket) ?? 1) - 1;
      busy.set(socket, left);
      if (shuttingDown && left === 0) socket.destroy();
    });
  });
  return () =>
    new Promise<void>((resolve) => {
      shuttingDown = true;
      server.close(() => resolve());
      for (const [socket, requests] of busy) if (requests === 0) socket.destroy();
    });
}

/**
 * The URLs other machines use: the host itself when it is a specific address, every external
 * interface when it is the any-address (IPv6 ones only for `::`), nothing on loopback.
 */
function networkURLs(host: string, port: number): string[] {
  if (isLoopbackHost(host)) return [];
  const url = (address: string) => `http://${address.includes(":") ? `[${address}]` : address}:${port}/`;
  if (!anyHosts.has(host)) return [url(host)];
  const withIPv6 = host.includes(":");
  const addresses = new Set<string>();
  for (const details of Object.values(networkInterfaces())) {
    for (const detail of details ?? []) {
      const ipv6 = detail.family === "IPv6";
      if (detail.internal || detail.mac === "00:00:00:00:00:00" || (ipv6 && !withIPv6)) continue;
      if (detail.address.startsWith("fe80::") || detail.address.startsWith("169.254.")) continue;
      addresses.add(detail.address);
    }
  }
  return [...addresses].sort().map(url);
}

function explainBindFailure(error: unknown, port: number, host: string): ListenError {
  switch (errorCode(error)) {
    case "EADDRINUSE":
      return new ListenError(`port ${port} on ${host} is already in use`);
    case "EACCES":
      return new ListenError(`no permission to listen on port ${port} on ${host} (ports below 1024 need privileges)`);
    case "EADDRNOTAVAIL":
      return new ListenError(`cannot listen on ${host}: it is not an address of this machine`);
    case "ENOTFOUND":
    case "EAI_AGAIN":
    case "EAI_NONAME":
      return new ListenError(`cannot listen on ${host}: the host name does not resolve`);
    default:
      return new ListenError(`cannot listen on ${host}:${port}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
