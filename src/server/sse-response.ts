import type { Writable } from "node:stream";
import { HTTPResponse } from "h3";
import type { HermesEvent } from "../protocol/index.ts";
import { commentFrame } from "../wire/sse.ts";
import type { StreamEncoder } from "../wire/types.ts";

export interface SseResponseOptions {
  /** Events already pulled from the run (the route peeks before committing to a 200). */
  buffered: HermesEvent[];
  /** The rest of the run, in batches (`runAgent`). */
  events: AsyncIterator<HermesEvent[]>;
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
 * The response body: srvx pipes any object with a `pipe(destination)` method straight into Node's
 * `ServerResponse` (and, for the web fetch handler, into a PassThrough it wraps in a Response), so
 * frames are written to the socket with no Readable, no `stream.pipeline` and no web stream in between:
 * those cost more per chunk than encoding it. `destroy` (srvx, when the client is already gone) and
 * `abort` (srvx, when a web consumer cancels) end the run.
 */
interface PipeableBody {
  pipe<T extends Writable>(destination: T): T;
  destroy(): void;
  abort(): void;
}

/**
 * Streams a run as server-sent events. Pulls the next event only when the socket takes more
 * (backpressure), and sends `: keepalive` on idle streams. The run ends in a terminal event on every
 * path (its abort signal covers disconnects and shutdown), so the encoder always writes the format's
 * last frames; a client that goes away closes the response, which stops the iterator.
 *
 * Frames are coalesced per turn of the event loop: events that arrive together (one network read
 * from the upstream holds many chunks) leave in one write instead of one each, and the flush runs in
 * the same loop iteration (`setImmediate`), before the loop waits for more input, so a paced stream's
 * chunks are not held back. What the route already pulled goes out as soon as the body is piped.
 */
export function sseResponse(options: SseResponseOptions): HTTPResponse {
  const { encoder, onEvent, events } = options;
  let destination: Writable | undefined;
  let pulling = false;
  let done = false;
  /** The socket's buffer is full: stop pulling until it drains. */
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
    if (!pending || !destination || destination.destroyed || destination.writableEnded) return;
    const text = pending;
    pending = "";
    if (!destination.write(text)) paused = true;
  };

  const write = (text: string) => {
    if (!text) return;
    wroteSinceTick = true;
    pending += text;
    if (!destination) return;
    if (pending.length >= maxPendingChars) flush();
    else flushTimer ??= setImmediate(flush);
  };

  const send = (event: HermesEvent) => {
    write(encoder.encode(event));
    onEvent?.(event);
  };

  const end = () => {
    flush();
    if (destination && !destination.destroyed && !destination.writableEnded) destination.end();
    finish("end");
  };

  const pump = async () => {
    if (pulling || done || paused || !destination) return;
    pulling = true;
    try {
      while (!done && !paused) {
        const next = await events.next();
        if (done) return;
        if (next.done) return end();
        for (const event of next.value) send(event);
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

  const body: PipeableBody = {
    pipe(target) {
      destination = target;
      target.on("drain", () => {
        paused = false;
        void pump();
      });
      target.once("close", () => finish("client_closed"));
      // A socket error closes the response too; without a listener it would crash the process.
      target.on("error", () => finish("client_closed"));
      flush();
      void pump();
      return target;
    },
    destroy: () => finish("client_closed"),
    abort: () => finish("client_closed"),
  };

  for (const event of options.buffered) send(event);

  const keepalive = setInterval(() => {
    if (!wroteSinceTick) write(commentFrame("keepalive"));
    wroteSinceTick = false;
  }, options.keepaliveMs);
  keepalive.unref();

  // srvx pipes the body straight into the socket; the typings only know web bodies.
  return new HTTPResponse(body as unknown as BodyInit, {
    status: 200,
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      "x-accel-buffering": "no",
      ...options.headers,
    },
  });
}
