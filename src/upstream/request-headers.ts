/**
 * The per-call headers an upstream request carries: the client request's id as `X-Request-Id`, so that
 * the proxy's log line and the upstream's own logs name the same request. Undefined when there is none.
 */
export function requestHeaders(requestId: string | undefined): Record<string, string> | undefined {
  return requestId === undefined ? undefined : { "x-request-id": requestId };
}
