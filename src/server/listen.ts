import type { IncomingMessage, Server as HttpServer, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import { type H3, serve } from "h3";
import type { Server } from "srvx";
import { assertListenableHost, bareHost, explainBindFailure, ListenError } from "./listen-error.ts";
import { listeningURL, networkURLs } from "./network-urls.ts";

export interface ListenOptions {
  /** 0: any free port; `Listener.port` then tells which. */
  port: number;
  host: string;
  /** The certificate chain and its private key as PEM text: the listener speaks HTTPS when set. */
  tls?: { cert: string; key: string } | undefined;
  /** For Node's `clientError` event: requests its parser rejects before any handler runs. */
  onClientError?: ((error: NodeJS.ErrnoException, socket: Duplex) => void) | undefined;
}

/** The listening server, what the banner shows of it, and its graceful close. */
export interface Listener {
  /** srvx's server, from h3's `serve()`; `server.node.server` is Node's own. */
  server: Server;
  protocol: "http" | "https";
  /** The real port, also when 0 was asked for. */
  port: number;
  /** `http://127.0.0.1:8642`: where this machine reaches the server. */
  url: string;
  /** Where other machines reach the server: empty on loopback. */
  networkURLs(): string[];
  /** Stops listening, closes idle keep-alive connections at once and the others after their response. */
  close(): Promise<void>;
}

/**
 * Listens through h3's `serve()` (srvx) on exactly the configured port, or fails with one clear line:
 * srvx's own listening line and signal handlers are off, since the command prints its banner and
 * drains in-flight requests itself (src/cli/signals.ts) before closing the listener.
 *
 * HTTPS is HTTP/1.1 over TLS, not srvx's default HTTP/2: the draining answer's `Connection: close`
 * and the per-connection close below are HTTP/1 notions, and OpenAI clients speak HTTP/1.1.
 *
 * @throws {ListenError} port in use, no permission, address not on this machine, unknown host,
 *   a certificate or key that TLS cannot use.
 * @example
 * const listener = await listen(app, { port: 0, host: "127.0.0.1" });
 * console.log(listener.url); // http://127.0.0.1:39321
 * await listener.close();
 */
export async function listen(app: H3, options: ListenOptions): Promise<Listener> {
  assertListenableHost(options.host);
  const host = bareHost(options.host);
  const protocol = options.tls === undefined ? "http" : "https";
  let server: Server;
  try {
    server = serve(app, {
      port: options.port,
      hostname: host,
      // Listen errors come back from `server.serve()` below rather than from a promise nobody awaits.
      manual: true,
      silent: true,
      gracefulShutdown: false,
      ...(options.tls !== undefined && { tls: options.tls, node: { http2: false } }),
    });
  } catch (error) {
    // Node builds the TLS context when the server is created: a bad PEM fails here, not at listen.
    throw new ListenError(`the TLS certificate or key cannot be used: ${error instanceof Error ? error.message : String(error)}`);
  }
  const nodeServer = server.node?.server as HttpServer | undefined;
  if (nodeServer === undefined) throw new ListenError("cannot listen: srvx created no Node server");
  if (options.onClientError) nodeServer.on("clientError", options.onClientError);
  const closing = trackConnections(nodeServer, protocol === "https" ? "secureConnection" : "connection", () => server.close());
  try {
    await server.serve();
  } catch (error) {
    throw explainBindFailure(error, options.port, host);
  }
  const { port } = nodeServer.address() as { port: number };
  let closed: Promise<void> | undefined;
  return {
    server,
    protocol,
    port,
    url: listeningURL(host, port, protocol),
    networkURLs: () => networkURLs(host, port, protocol),
    close: () => (closed ??= closing()),
  };
}

/**
 * Follows the server's connections so that `close` can end them the way listhen's http-shutdown did:
 * idle keep-alive connections at once, busy ones as soon as their response is over. `accepted` is the
 * event that hands over the socket requests arrive on (over TLS, the TLS socket, not the TCP one).
 */
function trackConnections(server: HttpServer, accepted: "connection" | "secureConnection", stopListening: () => Promise<void>): () => Promise<void> {
  const busy = new Map<Duplex, number>();
  let shuttingDown = false;
  server.on(accepted, (socket: Duplex) => {
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
  return async () => {
    shuttingDown = true;
    const stopped = stopListening();
    for (const [socket, requests] of busy) if (requests === 0) socket.destroy();
    await stopped;
  };
}
