import type { H3Event } from "h3";
import { HTTPResponse } from "h3";
import { HermesError } from "../../protocol/index.ts";
import { responseHeaderSetter } from "./response-headers.ts";

const ALLOW_METHODS = "GET, POST, DELETE, PATCH, OPTIONS";
const ALLOW_HEADERS = "Authorization, Content-Type, Idempotency-Key, X-Hermes-Session-Id, X-Hermes-Session-Key, Last-Event-ID, X-Request-Id";
/** Browsers can only read the response headers listed here. */
const EXPOSE_HEADERS =
  "X-Hermes-Session-Id, X-Hermes-Session-Key, X-Hermes-Completed, X-Hermes-Partial, X-Hermes-Error, Idempotency-Replayed, Retry-After, X-Request-Id, X-Hermes-Dropped-Tools";

/**
 * CORS for the listed origins only. Requests without an `Origin` (servers, SDKs, curl) pass untouched;
 * a browser from any other origin gets a 403, so a page cannot use a user's local proxy behind their
 * back. Preflights are answered here, before auth, as browsers send them without credentials.
 */
export function createCorsMiddleware(origins: readonly string[]) {
  const any = origins.includes("*");
  const allowed = new Set(origins);
  return (event: H3Event): HTTPResponse | void => {
    const origin = event.req.headers.get("origin");
    if (origin === null) return;
    if (!any && !allowed.has(origin)) throw new HermesError(`Origin ${JSON.stringify(origin)} is not allowed`, { status: 403, code: "origin_not_allowed" });
    const set = responseHeaderSetter(event);
    set("access-control-allow-origin", any ? "*" : origin);
    if (!any) set("vary", "Origin");
    if (event.req.method === "OPTIONS" && event.req.headers.has("access-control-request-method")) {
      return new HTTPResponse(null, {
        status: 204,
        headers: {
          "access-control-allow-methods": ALLOW_METHODS,
          "access-control-allow-headers": ALLOW_HEADERS,
          "access-control-max-age": "600",
        },
      });
    }
    set("access-control-expose-headers", EXPOSE_HEADERS);
  };
}
