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

/** Frames held back for one flush at most; beyond this they go out at once. */
const maxPendingChars = 16 * 1024;

/**
 * Streams a run as server-sent events through a Node Readable, which srvx pipes straight into the
 * socket: no web-stream wrapper on the hot path. Pulls the next event only when the socket takes
 * more (backpressure), and sends `: keepalive` on idle streams. The run ends in a terminal event on
 * every path (its abort signal covers disconnects and shutdown), so the encoder always writes the
 * format's last frames; a client that goes away destroys the Readable, which stops the iterator.
 *
 * Frames are coalesced per turn of the event loop: events that arrive together (one network read
 * from the upstream holds many chunks) leave in one push and one socket write instead of one each,
 * and the flush runs in the same loop iteration (`setImmediate`), before the loop waits for more
 * input, so a paced stream's chunks are not held back.
 */
export function sseResponse(options: SseResponseOptions): HTTPResponse {
  const { events, encoder, onEvent } = options;
  let pulling = false;
  let done = false;
  /** The socket's buffer is full: stop pulling until the Readable asks for more. */
  let paused = false;
  let wroteSinceTick = true;
  let pending = "";
  let flushTimer: NodeJS.Immediate | undefined;

  const finish = (reason: "end" | "client_closed") => {
    if (done) return;
    done = true;
    clearInterval(keepalive);
    if (flushTimer) clearImmediate(flushTimer);
    flushTimer = undefined;
    void events.return?.();
    options.onClose?.(reason);
  };

  const flush = () => {
    if (flushTimer) clearImmediate(flushTimer);
    flushTimer = undefined;
    if (!pending) return;
    const text = pending;
    pending = "";
    if (!readable.push(text)) paused = true;
  };

  const write = (text: string) => {
    if (!text) return;
    wroteSinceTick = true;
    pending += text;
    if (pending.length >= maxPendingChars) flush();
    else flushTimer ??= setImmediate(flush);
  };

  const end = () => {
    flush();
    readable.push(null);
    finish("end");
  };

  const pump = async () => {
    if (pulling || done) return;
    pulling = true;
    try {
      while (!done && !paused) {
        const next = await events.next();
        if (done) return;
        if (next.done) return end();
        write(encoder.encode(next.value));
        onEvent?.(next.value);
      }
    } catch (error) {
      // The run's iterator never throws by contract; if it does, the client still gets a terminal frame.
      console.error("[hermes-proxy] stream failed:", error);
      write(encoder.abort({ message: "Internal server error", type: "server_error", code: "internal_error" }));
      end();
    } finally {
      pulling = false;
    }
  };

  const readable = new Readable({
    read() {
      paused = false;
      void pump();
    },
  });
  readable.once("close", () => finish("client_closed"));

  let initial = "";
  for (const event of options.buffered) {
    initial += encoder.encode(event);
    onEvent?.(event);
  }
  // What the route already pulled goes out at once: the first byte is never held back.
  if (initial) readable.push(initial);

  const keepalive = setInterval(() => {
    if (!wroteSinceTick) write(commentFrame("keepalive"));
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
