/** A refusal to listen, already worded for the operator. */
export class ListenError extends Error {
  override readonly name = "ListenError";
}

// Refused up front with a clear message rather than handed to `listen()`.
const acceptedHost = /^(?!-)[\d.:A-Za-z-]{1,63}(?<!-)$/;

/** `[::1]` → `::1`: the bracketed form belongs in URLs, not in `listen()`. */
export function bareHost(host: string): string {
  return host.trim().replace(/^\[(.*)\]$/, "$1");
}

/**
 * @throws {ListenError} when `host` cannot be an address or a host name, before anything is opened.
 */
export function assertListenableHost(host: string): void {
  if (!acceptedHost.test(bareHost(host))) throw new ListenError(`"${host}" is not a valid host name or IP address to listen on`);
}

/** A failed `listen()` as one line that says what to do, instead of Node's `listen EADDRINUSE: …`. */
export function explainBindFailure(error: unknown, port: number, host: string): ListenError {
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
