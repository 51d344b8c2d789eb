import type { H3Event } from "h3";
import { HermesError } from "../../protocol/index.ts";

/**
 * The management routes (`/api/sessions*`, `/api/jobs*`) read every conversation and start runs on a
 * schedule, so they answer only when an API key is configured — even on loopback, where the other
 * routes may run keyless for a quick trial. Installed only when no key is set (with one, the auth middleware guards them).
 */
export function apiKeyRequiredMiddleware(event: H3Event): void {
  if (event.url.pathname.startsWith("/api/"))
    throw new HermesError("The /api routes require an API key: set server.apiKey (HERMES_API_KEY) and send it as a Bearer token", {
      status: 403,
      code: "api_key_required",
    });
}
