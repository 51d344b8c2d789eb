import { Readable } from "node:stream";
import { HTTPResponse } from "h3";
import type { RunLogEntry } from "../../state/runs.ts";
import { commentFrame } from "../../wire/sse.ts";
import { runEventFrame, STREAM_CLOSED_FRAME } from "../../wire/runs/index.ts";
import { logger } from "../../utils/logger.ts";

/**
 * `GET /v1/runs/{id}/events` as server-sent events: each log entry as an `id:` + `data:` frame, a
 * `: keepalive` comment on idle streams, and `: stream closed` after the terminal event. Pulls the
 * next entry only when the socket takes more; a client that goes away detaches its follower and
 * leaves the run alone.
 */
export function runEventsResponse(entries: AsyncIterator<RunLogEntry>, keepaliveMs: number): HTTPResponse {
  let pulling = false;
  let done = false;
  let wroteSinceTick = true;

  const finish = () => {
    if (done) return;
    done = true;
    clearInterval(keepalive);
    void entries.return?.();
  };

  const push = (text: string): boolean => {
    wroteSinceTick = true;
    return readable.push(text);
  };

  const pump = async () => {
    if (pulling || done) return;
    pulling = true;
    try {
      while (!done) {
        const next = await entries.next();
        if (done) return;
        if (next.done) {
          push(STREAM_CLOSED_FRAME);
          readable.push(null);
          finish();
          return;
        }
        if (!push(runEventFrame(next.value.sequence, JSON.stringify(next.value.payload)))) return;
      }
    } catch (error) {
      logger.error("run event stream failed:", error);
      readable.push(null);
      finish();
    } finally {
      pulling = false;
    }
  };

  const readable = new Readable({
    read() {
      void pump();
    },
  });
  readable.once("close", finish);

  const keepalive = setInterval(() => {
    if (!wroteSinceTick) push(commentFrame("keepalive"));
    wroteSinceTick = false;
  }, keepaliveMs);
  keepalive.unref();

  // srvx pipes a Node Readable body straight into the socket; the typings only know web bodies.
  return new HTTPResponse(readable as unknown as BodyInit, {
    status: 200,
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", "x-accel-buffering": "no" },
  });
}
