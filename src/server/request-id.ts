import type { H3Event } from "h3";
import { randomId } from "../utils/index.ts";

/**
 * What a client-chosen `X-Request-Id` may be: a short token of URL- and log-safe characters. Anything
 * else (too long, spaces, control characters, quotes) is replaced by our own id rather than written to
 * logs and sent upstream as it came.
 */
const saneRequestId = /^[A-Za-z0-9._:@/+=-]{1,128}$/;

/** The client's request id when it is a sane token, else a new `req_…`. */
export function requestIdFrom(header: string | null): string {
  return header !== null && saneRequestId.test(header) ? header : randomId("req_");
}

/** The id the request middleware gave this request; undefined only for an app built without it. */
export function requestIdOf(event: H3Event): string | undefined {
  const id: unknown = event.context.requestId;
  return typeof id === "string" ? id : undefined;
}
