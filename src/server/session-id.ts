import type { H3Event } from "h3";
import { HermesError } from "../protocol/index.ts";
import { sessionIdSchema } from "../wire/shared-schemas.ts";

export const SESSION_HEADER = "x-hermes-session-id";

/**
 * The `X-Hermes-Session-Id` a request asks to continue, or undefined. Continuing a session reads
 * server-side history, so it needs an API key (otherwise anyone who can reach the port could read any
 * conversation by guessing ids); control characters are refused before they reach a log or a key.
 */
export function requestedSessionId(event: H3Event, apiKeyConfigured: boolean): string | undefined {
  const value = event.req.headers.get(SESSION_HEADER);
  if (value === null) return undefined;
  if (!apiKeyConfigured)
    throw new HermesError("Session continuation requires an API key: set server.apiKey (HERMES_API_KEY)", {
      status: 403,
      code: "session_requires_api_key",
      param: "X-Hermes-Session-Id",
    });
  const id = value.trim();
  if (!sessionIdSchema.safeParse(id).success)
    throw new HermesError("X-Hermes-Session-Id must be 1-256 printable characters", {
      status: 400,
      code: "invalid_session_id",
      param: "X-Hermes-Session-Id",
    });
  return id;
}
