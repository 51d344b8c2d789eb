import type { H3Event } from "h3";

/**
 * Calls `onGone` once when the client goes away before its response is complete, and returns the
 * function that stops watching. Under Node it listens to the response's `close` directly, as srvx's
 * `request.signal` does (same condition, same reason: the request's error, else none): reading that
 * signal makes srvx build an AbortController per request, and a run already has its own (measured in
 * `chat-json-50`, docs/performance.md round 1). The web
 * fetch handler, and a caller holding only a signal, watch the signal.
 */
export function watchClient(client: H3Event | AbortSignal, onGone: (reason?: unknown) => void): () => void {
  const node = client instanceof AbortSignal ? undefined : client.runtime?.node;
  const response = node?.res;
  if (node === undefined || response === undefined) {
    const signal = client instanceof AbortSignal ? client : client.req.signal;
    const onAbort = () => onGone(signal.reason);
    signal.addEventListener("abort", onAbort, { once: true });
    if (signal.aborted) onAbort();
    return () => signal.removeEventListener("abort", onAbort);
  }
  const request = node.req;
  const onClose = () => {
    if (request.errored) onGone(request.errored);
    else if (!response.writableEnded) onGone();
  };
  response.once("close", onClose);
  if (response.destroyed || request.aborted || request.errored || (request.destroyed && !request.complete)) onClose();
  return () => response.off("close", onClose);
}
