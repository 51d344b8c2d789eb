import { Readable } from "node:stream";
import { HTTPResponse } from "h3";
import type { HermesEvent } from "../protocol/index.ts";
import { commentFrame } from "../wire/sse.ts";
import type { StreamEncoder } from "../wire/types.ts";

export interface SseResponseOptions {
  /** Events already pulled from the run (the route peeks before committing to a 200). */
  buffered: HermesEvent[];
  events: AsyncIterator<HermesEvent>;
  encoder: StreamEncoder;
  headers: Record<string, string>;
  keepaliveMs: number;
  /** Called with every event after it was encoded (state recorders hang here). */
  onEvent?: (event: HermesEvent) => void;
  /** Called once when the stream is over, however it ended. */
  onClose?: (reason: "end" | "client_closed") => void;
}

/**
 * Streams a run as server-sent events through a Node Readable, which srvx pipes straight into the
 * socket: no web-stream wrapper on the hot path. Pulls the next event only when the socket takes
 * more (backpressure), and sends `: keepalive` on idle streams. The run ends in a terminal event on
 * every path (its abort signal covers disconnects and shutdown), so the encoder always writes the
 * format's last frames; a client that goes away destroys the Readable, which stops the iterator.
 */
export function sseResponse(options: SseResponseOptions): HTTPResponse {
  const { events, encoder, onEvent } = options;
  let pulling = false;
  let done = false;
  let wroteSinceTick = true;

  const finish = (reason: "end" | "client_closed") => {
    if (done) return;
    done = true;
    clearInterval(keepalive);
    void events.return?.();
    options.onClose?.(reason);
  };

  const push = (text: string): boolean => {
    if (!text) return true;
    wroteSinceTick = true;
    return readable.push(text);
  };

  const pump = async () => {
    if (pulling || done) return;
    pulling = true;
    try {
      while (!done) {
        const next = await events.next();
        if (done) return;
        if (next.done) {
          readable.push(null);
          finish("end");
          return;
        }
        const more = push(encoder.encode(next.value));
        onEvent?.(next.value);
        if (!more) return;
      }
    } catch (error) {
      // The run's iterator never throws by contract; if it does, the client still gets a terminal frame.
      console.error("[hermes-proxy] stream failed:", error);
      push(encoder.abort({ message: "Internal server error", type: "server_error", code: "internal_error" }));
      readable.push(null);
      finish("end");
    } finally {
      pulling = false;
    }
  };

  const readable = new Readable({
    read() {
      void pump();
    },
  });
  readable.once("close", () => finish("client_closed"));

  let initial = "";
  for (const event of options.buffered) {
    initial += encoder.encode(event);
    onEvent?.(event);
  }
  push(initial);

  const keepalive = setInterval(() => {
    if (!wroteSinceTick) push(commentFrame("keepalive"));
    wroteSinceTick = false;
  }, options.keepaliveMs);
  keepalive.unref();

  // srvx pipes a Node Readable body straight into the socket; the typings only know web bodies.
  return new HTTPResponse(readable as unknown as BodyInit, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      ...options.headers,
    },
  });
}
