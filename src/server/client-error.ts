import type { Duplex } from "node:stream";
import { errorEnvelope } from "./errors.ts";

/**
 * Node's HTTP parser rejects some requests before any handler runs (a control character in a header,
 * a malformed request line, headers too large). Attached to the server's `clientError` event, this
 * still answers them with the OpenAI envelope instead of a bare 400.
 */
export function handleClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
  if (!socket.writable) return void socket.destroy();
  const headersTooLarge = error.code === "HPE_HEADER_OVERFLOW";
  const status = headersTooLarge ? 431 : 400;
  const body = JSON.stringify(
    errorEnvelope({
      message: headersTooLarge ? "Request headers too large" : "Malformed HTTP request",
      type: "invalid_request_error",
      code: headersTooLarge ? "headers_too_large" : "malformed_request",
      param: null,
    }),
  );
  socket.end(
    `HTTP/1.1 ${status} ${headersTooLarge ? "Request Header Fields Too Large" : "Bad Request"}\r\n` +
      `Content-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n${body}`,
  );
}
