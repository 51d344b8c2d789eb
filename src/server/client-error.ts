import type { Duplex } from "node:stream";
import { errorEnvelope } from "./errors.ts";

/** How long a refused connection stays open after its answer, for the client to read it. */
const closeGraceMs = 500;

/** The answers written straight onto the socket, by Node's error code. */
const answers = {
  HPE_HEADER_OVERFLOW: { status: 431, reason: "Request Header Fields Too Large", code: "headers_too_large", message: "Request headers too large" },
  // Node's `headersTimeout` / `requestTimeout` (src/server/listen-limits.ts) ran out.
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    reason: "Request Timeout",
    code: "request_timeout",
    message: "The request was not received in time (server.headersTimeoutMs for its headers, server.requestTimeoutMs for all of it)",
  },
  default: { status: 400, reason: "Bad Request", code: "malformed_request", message: "Malformed HTTP request" },
} as const;

/**
 * Node's HTTP parser rejects some requests before any handler runs (a control character in a header,
 * a malformed request line, headers too large), and its request timeouts end connections the same
 * way. Attached to the server's `clientError` event, this still answers them with the OpenAI envelope
 * instead of a bare 400, then closes the connection.
 *
 * Nothing is written when a response is already under way on the socket (its headers sent): bytes of
 * ours in the middle of it would corrupt what the client reads. The socket is closed all the same.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  const inFlight = (socket as { _httpMessage?: { headersSent?: boolean } | null })._httpMessage;
  if (!socket.writable || inFlight?.headersSent === true) return void socket.destroy();
  const answer = answers[error.code as keyof typeof answers] ?? answers.default;
  const body = JSON.stringify(errorEnvelope({ message: answer.message, type: "invalid_request_error", code: answer.code, param: null }));
  // Closed a moment after the answer, whatever the client does: one still sending must not keep the
  // socket, and one reading gets the answer before the close (closing at once could reset it first).
  const timer = setTimeout(() => socket.destroy(), closeGraceMs);
  timer.unref();
  socket.once("close", () => clearTimeout(timer));
  socket.end(
    `HTTP/1.1 ${answer.status} ${answer.reason}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}
