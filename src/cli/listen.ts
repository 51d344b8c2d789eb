import type { IncomingMessage, ServerResponse } from "node:http";
import { createServer } from "node:net";
import type { Listener } from "listhen";
import { isLoopbackHost } from "../config/loopback.ts";

/** A refusal to listen, already worded for the operator. */
export class ListenError extends Error {
  override readonly name = "ListenError";
}

// listhen silently swaps a hostname it does not accept for "localhost"; refuse it up front instead.
const acceptedHost = /^(?!-)[\d.:A-Za-z-]{1,63}(?<!-)$/;

/** `[::1]` → `::1`: the bracketed form belongs in URLs, not in `listen()`. */
export function bareHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, "$1");
}

/**
 * Listens with listhen on exactly the configured port, or fails with one clear line. listhen's port
 * finder (get-port-please) would otherwise move to another port when the requested one is busy or on
 * the browsers' blocked list; port 0 still means any free port.
 *
 * @throws {ListenError} port in use, no permission, address not on this machine, unknown host.
 */
export async function listenExactly(
  handler: (request: IncomingMessage, response: ServerResponse) => void,
  options: { port: number; host: string },
): Promise<Listener> {
  const host = bareHost(options.host);
  if (!acceptedHost.test(host)) throw new ListenError(`"${options.host}" is not a valid host name or IP address to listen on`);
  const { listen } = await import("listhen");

  let listener: Listener;
  try {
    listener = await listen(handler, {
      port: { port: options.port, random: options.port === 0, verbose: false },
      hostname: host,
      public: !isLoopbackHost(host),
      isProd: true,
      autoClose: false,
      showURL: false,
      qr: false,
    });
  } catch (error) {
    throw await explainBindFailure(error, options.port, host);
  }
  if (options.port !== 0 && listener.address.port !== options.port) {
    await listener.close();
    // get-port-please skips ports that browsers block (6000, 6666, …) and falls back to another one.
    const picked = listener.address.port;
    throw new ListenError(
      `port ${options.port} cannot be used: listhen refuses ports that browsers block (it picked ${picked} instead); choose another port`,
    );
  }
  return listener;
}

/** get-port-please only says "unable to find an available port": bind once more to learn why. */
async function explainBindFailure(error: unknown, port: number, host: string): Promise<ListenError> {
  const code = errorCode(error) ?? errorCode(await tryBind(port, host));
  switch (code) {
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

function tryBind(port: number, host: string): Promise<unknown> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once("error", resolve);
    server.listen({ port, host }, () => server.close(() => resolve(undefined)));
  });
}

function errorCode(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | undefined)?.code;
  return typeof code === "string" ? code : undefined;
}
