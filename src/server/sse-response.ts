import type { Writable } from "node:stream";
import { HTTPResponse } from "h3";
import { commentFrame } from "../wire/sse.ts";
import { loggable } from "../state/storage-guard.ts";
import { logger } from "../utils/logger.ts";

export interface SseResponseOptions<T> {
  /** Items already pulled (a route peeks at a run before it commits to a 200). */
  buffered?: readonly T[];
  /** The rest, one item or one batch (the events of one upstream read) at a time. */
  source: AsyncIterator<T | readonly T[]>;
  /** The frames for one item, possibly none. Called in order, once per item. */
  frame(item: T): string;
  /** Written once the source is over (the Runs API's `: stream closed`), unless it threw. */
  closing?: string;
  /** The frames that end a stream whose source threw; a run's source never does, by contract. */
  failed?(error: unknown): string;
  headers?: Record<string, string>;
  /** A `: keepalive` comment goes out after this long without a write. */
  keepaliveMs: number;
  /** Called once when the stream is over, however it ended. */
  onClose?(reason: "end" | "client_closed"): void;
}

/** Frames held back for one flush at most; beyond this they go out at once. */
const maxPendingChars = 16 * 1024;

const sseHeaders = { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" };

/**
 * The one server-sent-events writer, for every route that streams: a run's events (Chat, Responses,
 * session chat), a run's stored log (Runs API) and a background response's frames. The body is a
 * Node `Readable`, which srvx pipes into the socket.
 *
 * - Backpressure: the next item is pulled only when the socket takes more (`read()`).
 * - Coalescing: frames that arrive together (one network read from the upstream holds many chunks)
 *   leave in one write, flushed in the same turn of the event loop (`setImmediate`), before it waits
 *   for more input, so a paced stream is not held back. It pays in `chat-burst64-50` (one write per
 *   upstream read instead of one per chunk) and costs nothing measurable in `chat-paced64-10`.
 * - Keepalive: a `: keepalive` comment `keepaliveMs` after the last write, by a timer re-armed on
 *   each flush (an interval that skips a tick after a write would leave gaps of up to twice as long).
 * - A client that goes away closes the body, which stops the source (`return()`).
 */
export function sseResponse<T>(options: SseResponseOptions<T>): HTTPResponse {
  const { source, frame } = options;
  let pulling = false;
  let done = false;
  /** The socket's buffer is full: pull no more until it asks (`read()`). */
  let paused = false;
  let pending = "";
  let flushTimer: NodeJS.Immediate | undefined;

  const finish = (reason: "end" | "client_closed") => {
    if (done) return;
    done = true;
    clearTimeout(keepalive);
    if (flushTimer) clearImmediate(flushTimer);
    flushTimer = undefined;
    // The source's owner handles its own failures; a rejected `return()` (a storage subscription
    // torn down mid-outage) must not become an unhandled rejection.
    source.return?.()?.catch(() => undefined);
    options.onClose?.(reason);
  };

  /** The socket, once srvx hands it over (`pipe`). */
  let destination: Writable | undefined;
  const closed = () => destination === undefined || destination.destroyed || destination.writableEnded;

  /** Writes what is pending; false when the socket wants no more for now. */
  const flush = (): boolean => {
    if (flushTimer) clearImmediate(flushTimer);
    flushTimer = undefined;
    if (!pending || closed()) return true;
    const text = pending;
    pending = "";
    keepalive.refresh();
    if (!destination!.write(text)) paused = true;
    return !paused;
  };

  const write = (text: string) => {
    if (!text) return;
    pending += text;
    if (!destination) return;
    if (pending.length >= maxPendingChars) flush();
    else flushTimer ??= setImmediate(flush);
  };

  const add = (item: T | readonly T[]) => {
    if (Array.isArray(item)) for (const one of item as readonly T[]) write(frame(one));
    else write(frame(item as T));
  };

  const end = (closing = options.closing) => {
    if (closing) write(closing);
    flush();
    if (!closed()) destination!.end();
    finish("end");
  };

  const pump = async () => {
    if (pulling || done) return;
    pulling = true;
    try {
      while (!done && !paused && destination) {
        const next = await source.next();
        if (done) return;
        if (next.done) return end();
        add(next.value);
      }
    } catch (error) {
      logger.error("stream failed:", loggable(error));
      if (!done) end(options.failed?.(error));
    } finally {
      pulling = false;
    }
  };

  const pumpSafely = (): void => {
    pump().catch((error: unknown) => {
      // A frame or an error frame that throws ends the stream rather than the process.
      logger.error("stream failed:", error);
      destination?.destroy();
    });
  };
  /**
   * The body: srvx's Node adapter pipes a body that has `pipe` but is no stream (no `on`, `destroy`)
   * with `body.pipe(response)` (`pipeBody` in srvx/adapters/node), so frames go straight to the
   * socket. A Node `Readable` costs srvx a `readable` wait and a `pipeline` per stream, and a copy per
   * flush: 15–60 % more CPU per stream in `chat-burst64-50` / `responses-burst64-50` (docs/performance.md).
   * `destroy` and `abort` are srvx's and the web adapter's ways of saying the client is gone.
   */
  const body = {
    pipe<W extends Writable>(target: W): W {
      destination = target;
      target.on("drain", () => {
        paused = false;
        pumpSafely();
      });
      target.once("close", () => finish("client_closed"));
      // A socket error closes the response too; without a listener it would crash the process.
      target.on("error", () => finish("client_closed"));
      flush();
      pumpSafely();
      return target;
    },
    destroy: () => finish("client_closed"),
    abort: () => finish("client_closed"),
  };

  const keepalive = setTimeout(function beat() {
    write(commentFrame("keepalive"));
    flush();
    keepalive.refresh();
  }, options.keepaliveMs);
  keepalive.unref();

  // After the timer exists: what was pulled before the answer (a whole burst read) may fill a flush.
  for (const item of options.buffered ?? []) write(frame(item));

  // srvx pipes the body into the socket; the typings only know web bodies.
  return new HTTPResponse(body as unknown as BodyInit, { status: 200, headers: { ...sseHeaders, ...options.headers } });
}
