import { createHash, timingSafeEqual } from "node:crypto";
import type { H3Event } from "h3";
import { HermesError } from "../../protocol/index.ts";

/** Routes a load balancer or a liveness or readiness probe calls without a key. */
const PUBLIC_PATHS = new Set(["/health", "/v1/health", "/health/ready"]);

/**
 * Bearer auth on every route but health. Both sides are hashed before the constant-time compare so
 * that neither the key's content nor its length leaks through timing. The key in a query string is
 * never read: URLs end up in logs.
 */
export function createAuthMiddleware(apiKey: string | undefined) {
  if (!apiKey) return undefined;
  const expected = digest(apiKey);
  return (event: H3Event): void => {
    if (PUBLIC_PATHS.has(event.url.pathname)) return;
    const header = event.req.headers.get("authorization") ?? "";
    // The scheme is case-insensitive (RFC 9110 §11.1): `bearer` and `BEARER` are the same scheme.
    const scheme = /^bearer[ \t]+/i.exec(header);
    const token = scheme ? header.slice(scheme[0].length).trim() : "";
    if (!token || !timingSafeEqual(digest(token), expected))
      throw new HermesError("Invalid API key", { status: 401, type: "invalid_request_error", code: "invalid_api_key" });
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
