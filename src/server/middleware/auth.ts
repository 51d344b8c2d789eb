import { createHash, timingSafeEqual } from "node:crypto";
import type { H3Event } from "h3";
import { HermesError } from "../../protocol/index.ts";

/** Routes a load balancer or a liveness probe calls without a key. */
const PUBLIC_PATHS = new Set(["/health", "/v1/health"]);

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
    const token = header.startsWith("Bearer ") ? header.slice(7).trim() : "";
    if (!token || !timingSafeEqual(digest(token), expected))
      throw new HermesError("Invalid API key", { status: 401, type: "invalid_request_error", code: "invalid_api_key" });
  };
}

function digest(value: string): Buffer {
  return createHash("sha256").update(value, "utf8").digest();
}
