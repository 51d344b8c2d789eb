import type { H3Event } from "h3";
import { responseHeaderSetter } from "./response-headers.ts";

/** Set on every response, errors included: an API never needs to be framed, sniffed or referred. */
const securityHeaders: [string, string][] = [
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "no-referrer"],
  ["x-frame-options", "DENY"],
  ["content-security-policy", "default-src 'none'; frame-ancestors 'none'"],
];

export function securityHeadersMiddleware(event: H3Event): void {
  const set = responseHeaderSetter(event);
  for (const [name, value] of securityHeaders) set(name, value);
}
