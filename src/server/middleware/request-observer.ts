import type { AsyncLocalStorage } from "node:async_hooks";
import { type H3Event, HTTPError, HTTPResponse } from "h3";
import type { RequestTracker } from "../../observability/request-tracker.ts";
import { HermesError } from "../../protocol/index.ts";
import { requestIdFrom } from "../request-id.ts";
import { responseHeaderSetter } from "./response-headers.ts";

export interface RequestObserverOptions {
  /** Follows requests for metrics, plugins and the request log; absent when nothing reads them. */
  tracker?: RequestTracker | undefined;
  /** Holds the request id across the request's async work, for storage observers; only when one wants it. */
  requestContext?: AsyncLocalStorage<string> | undefined;
}

/** The status nginx logs for a client that went away before any response: no HTTP status was sent. */
const clientClosedStatus = 499;

/**
 * The first middleware: gives every request its id (the client's `X-Request-Id` when sane, else a new
 * one), returns it as `X-Request-Id`, keeps it in `event.context.requestId` for the routes (which send
 * it upstream and store it with runs and responses), and, when a tracker is given, reports the request
 * from its arrival to the end of its response: under Node the end is the response's `close`, so a
 * stream counts until its last byte; the web fetch handler ends it when the handler returns.
 */
export function createRequestObserver(options: RequestObserverOptions) {
  const { tracker, requestContext } = options;
  return (event: H3Event, next: () => unknown): unknown => {
    const id = requestIdFrom(event.req.headers.get("x-request-id"));
    event.context.requestId = id;
    responseHeaderSetter(event)("x-request-id", id);
    if (!tracker) return requestContext ? requestContext.run(id, next) : next();
    return track(event, next, id, tracker, requestContext);
  };
}

async function track(event: H3Event, next: () => unknown, id: string, tracker: RequestTracker, requestContext: AsyncLocalStorage<string> | undefined) {
  const started = performance.now();
  const route = event.context.matchedRoute?.route ?? "unmatched";
  const tracked = tracker.begin({ id, method: event.req.method, route, headers: event.req.headers });
  let result: unknown;
  let failure: { status: number; code: string; param?: string } | undefined;
  try {
    result = await (requestContext ? requestContext.run(id, next) : next());
    return result;
  } catch (error) {
    failure = describeFailure(error);
    throw error;
  } finally {
    const firstByteMs = performance.now() - started;
    const errorCode = failure?.code;
    const errorParam = failure?.param;
    const node = event.runtime?.node?.res;
    if (node && !node.closed) {
      // Told by the body rather than the content type: reading an HTTPResponse's headers makes h3
      // build a Headers object it would otherwise skip.
      const streamed = failure === undefined && isStreamBody(result);
      if (streamed) tracker.streamStarted(tracked);
      node.once("close", () => {
        const clientClosed = !node.writableFinished;
        tracker.end(tracked, {
          status: clientClosed && !node.headersSent ? clientClosedStatus : node.statusCode,
          firstByteMs,
          durationMs: performance.now() - started,
          streamed,
          clientClosed,
          errorCode,
          errorParam,
        });
      });
    } else {
      const status = failure?.status ?? statusOf(result);
      const streamed = failure === undefined && isEventStream(result);
      tracker.end(tracked, { status, firstByteMs, durationMs: firstByteMs, streamed, clientClosed: false, errorCode, errorParam });
    }
  }
}

/** The status and code the error handler (`errors.ts`) answers a thrown value with. */
function describeFailure(error: unknown): { status: number; code: string; param?: string } {
  const cause = HTTPError.isError(error) && HermesError.is(error.cause) ? error.cause : error;
  if (HermesError.is(cause))
    return { status: cause.status, code: cause.code ?? `http_${cause.status}`, ...(typeof cause.param === "string" && { param: cause.param }) };
  if (HTTPError.isError(error) && !error.unhandled) {
    const code = error.status === 404 ? "not_found" : error.status === 413 ? "body_too_large" : `http_${error.status}`;
    return { status: error.status, code };
  }
  return { status: 500, code: "internal_error" };
}

/** A handler's result as a status: a response's own, h3's "no route" marker 404, anything else 200. */
function statusOf(result: unknown): number {
  if (typeof result === "symbol") return 404;
  const status = (result as { status?: unknown } | null | undefined)?.status;
  return typeof status === "number" ? status : 200;
}

/**
 * The proxy's event streams (`sseResponse`, the Runs API's event stream) are h3 `HTTPResponse`s whose
 * body srvx pipes into the socket; every other answer is a string, JSON or nothing. Only an
 * `HTTPResponse` is asked: on srvx's `FastResponse` (the JSON answers) reading `body` would build
 * the web Response it exists to avoid.
 */
function isStreamBody(result: unknown): boolean {
  if (!(result instanceof HTTPResponse)) return false;
  const body: unknown = result.body;
  return typeof body === "object" && body !== null && typeof (body as { pipe?: unknown }).pipe === "function";
}

function isEventStream(result: unknown): boolean {
  const headers = (result as { headers?: unknown } | null | undefined)?.headers;
  return headers instanceof Headers && (headers.get("content-type") ?? "").startsWith("text/event-stream");
}
