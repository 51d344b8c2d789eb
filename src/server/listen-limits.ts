import { readFileSync } from "node:fs";
import type { HermesConfig } from "../config/schema.ts";

/**
 * What protects the listener from clients that hold sockets without using them: Node's own
 * `http.Server` timeouts, set from `server.*` (Node's defaults held a silent connection 90 s and a
 * trickling body 300 s), and a cap on open connections.
 *
 * - `headersTimeout`: the headers must be in within this, from the connection (or the next request's
 *   first byte on a kept-alive one); a connection that says nothing is closed with 408.
 * - `requestTimeout`: the whole request, body included. Node stops counting once the request is
 *   received, so an answer of any length (an SSE stream) is never cut by it.
 * - `keepAliveTimeout`: an idle kept-alive connection between two requests.
 * - `connectionsCheckingInterval`: how often Node looks for connections past the first two. Its 30 s
 *   default let a 60 s timeout run to 90; a quarter of the shorter timeout, at most a second, keeps
 *   the overshoot small for a walk over the connection list that costs microseconds.
 * - over TLS, `handshakeTimeout`: a client that opens TCP and never says hello (Node's default: 120 s).
 */
export interface ListenerLimits {
  headersTimeoutMs: number;
  requestTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** The limits of `config.server`, the connection cap derived from the open-file limit when unset. */
export function listenerLimits(server: HermesConfig["server"]): ListenerLimits {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = server;
  return { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs, maxConnections: server.maxConnections ?? defaultMaxConnections(openFileLimit()) };
}

/** The `node` options srvx hands to `http.createServer` / `https.createServer`. */
export function nodeServerOptions(limits: ListenerLimits, tls: boolean) {
  const { headersTimeoutMs, requestTimeoutMs, keepAliveTimeoutMs } = limits;
  return {
    headersTimeout: headersTimeoutMs,
    requestTimeout: requestTimeoutMs,
    keepAliveTimeout: keepAliveTimeoutMs,
    connectionsCheckingInterval: Math.max(25, Math.min(1_000, Math.floor(Math.min(headersTimeoutMs, requestTimeoutMs) / 4))),
    ...(tls && { handshakeTimeout: headersTimeoutMs }),
  };
}

/**
 * Half the open-file limit less 64, at most 10,000: every client connection may need an upstream
 * socket as well while it streams, and the storage, the logs and the metrics port need a few more.
 * Where the limit cannot be read, 1,000.
 *
 * @example
 * defaultMaxConnections(1024); // 480
 * defaultMaxConnections(undefined); // 1000
 */
export function defaultMaxConnections(openFiles: number | undefined): number {
  if (openFiles === undefined) return 1_000;
  return Math.max(1, Math.min(10_000, Math.floor((openFiles - 64) / 2)));
}

/** The soft `Max open files` of this process (`ulimit -n`), from /proc on Linux; undefined elsewhere or when unlimited. */
export function openFileLimit(limitsText = readProcLimits()): number | undefined {
  const match = limitsText === undefined ? null : /^Max open files\s+(\d+)/m.exec(limitsText);
  return match ? Number(match[1]) : undefined;
}

function readProcLimits(): string | undefined {
  try {
    return readFileSync("/proc/self/limits", "utf8");
  } catch {
    return undefined;
  }
}
