import type { H3Event } from "h3";
import { responseHeaderSetter } from "./response-headers.ts";

/** Set on every response, errors included: an API never needs to be framed, sniffed or referred. The original server's set. */
const securityHeaders: [string, string][] = [
  ["x-content-type-options", "nosniff"],
  ["referrer-policy", "no-referrer"],
  ["x-frame-options", "DENY"],
  ["content-security-policy", "default-src 'none'; frame-ancestors 'none'"],
  ["permissions-policy", "camera=(), microphone=(), geolocation=()"],
  // The XSS auditor is gone from browsers, and where it lingers it is a side channel: off, as OWASP advises.
  ["x-xss-protection", "0"],
];

/**
 * HSTS only on HTTPS: served with `server.tls`, or behind a TLS-terminating proxy that says so with
 * `X-Forwarded-Proto: https`. Over plain HTTP the header means nothing to a browser (RFC 6797 §8.1),
 * and sent from a plain-HTTP loopback service it would only mislead.
 */
const strictTransportSecurity = "max-age=31536000; includeSubDomains";

export function securityHeadersMiddleware(event: H3Event): void {
  const set = responseHeaderSetter(event);
  for (const [name, value] of securityHeaders) set(name, value);
  if (overHttps(event)) set("strict-transport-security", strictTransportSecurity);
}

function overHttps(event: H3Event): boolean {
  if (event.url.protocol === "https:") return true;
  const forwarded = event.req.headers.get("x-forwarded-proto");
  // A chain of proxies lists each hop's protocol, the client's first.
  return forwarded !== null && forwarded.split(",")[0]!.trim().toLowerCase() === "https";
}
