import type { FallbackReason } from "../../config/routing-schema.ts";
import { HermesError } from "../../protocol/index.ts";

/** Codes of the OS and undici errors that mean the upstream could not be reached or dropped the connection. */
const connectionCodes = new Set([
  "ECONNREFUSED",
  "ECONNRESET",
  "EPIPE",
  "ENOTFOUND",
  "EAI_AGAIN",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "ETIMEDOUT",
  "UND_ERR_SOCKET",
  "UND_ERR_CLOSED",
]);

/**
 * Which kind of upstream failure an error is, as `routing.fallbackOn` names them, or undefined when the
 * upstream is not at fault (the request itself was refused: a 400, a 404) or the error is not an
 * upstream's at all. Reads the errors `http-errors.ts` makes: 429 → `429`; `upstream_timeout` →
 * `timeout`; `upstream_auth_failed` → `auth`; any other 5xx → `connection` when a socket or DNS error
 * caused it, else `5xx` (an upstream 5xx, or an answer that broke the protocol).
 */
export function failureReason(error: unknown): FallbackReason | undefined {
  if (!HermesError.is(error)) return undefined;
  if (error.status === 429) return "429";
  if (error.code === "upstream_timeout") return "timeout";
  if (error.code === "upstream_auth_failed") return "auth";
  if (error.status < 500) return undefined;
  return causedByConnection(error.cause) ? "connection" : "5xx";
}

function causedByConnection(cause: unknown): boolean {
  // undici wraps the OS error; a few levels cover every wrapper seen in practice.
  for (let value = cause, depth = 0; depth < 4 && typeof value === "object" && value !== null; depth++) {
    const code = (value as { code?: unknown }).code;
    if (typeof code === "string" && connectionCodes.has(code)) return true;
    value = (value as { cause?: unknown }).cause;
  }
  return false;
}
